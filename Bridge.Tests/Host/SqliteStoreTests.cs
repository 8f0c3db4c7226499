using System.Diagnostics;
using Bridge.Contracts.V1;
using Bridge.Host.Store;
using Bridge.Tests.Infrastructure;

namespace Bridge.Tests.Host;

public sealed class SqliteStoreTests : IAsyncLifetime
{
    private readonly string _path = BridgeTestHost.TempDatabase();
    private SqliteBridgeStore _store = null!;

    private static readonly EndpointRef Origin = new("alpha", EndpointKind.Room, "1");
    private static readonly EndpointRef Copy = new("beta", EndpointKind.Group, "g");
    private static readonly string?[] OriginAndCopy = ["n-e", "b-e"];

    public async Task InitializeAsync()
    {
        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        DeleteFiles();
    }

    [Fact]
    public async Task Ingest_dedupe_and_echo_recognition()
    {
        var e = Guid.NewGuid();
        Assert.Equal(IngestLookup.New, await _store.LookupIngestAsync(e, "alpha", "n1", default));
        await _store.RecordIngestAsync(e, Origin, "n1", default);
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(e, "alpha", "n1", default));

        await _store.RecordDeliveryAsync(e, Copy, "b-7", default);
        Assert.Equal(IngestLookup.DeliveredByBridge, await _store.LookupIngestAsync(Guid.NewGuid(), "beta", "b-7", default));
        Assert.Equal(IngestLookup.New, await _store.LookupIngestAsync(Guid.NewGuid(), "alpha", "b-7", default));
    }

    [Fact]
    public async Task The_id_map_answers_both_directions_and_recording_twice_keeps_the_first()
    {
        var e = Guid.NewGuid();
        await _store.RecordIngestAsync(e, Origin, "n1", default);
        await _store.RecordDeliveryAsync(e, Copy, "b-7", default);
        await _store.RecordDeliveryAsync(e, Copy, "b-8", default);

        Assert.Equal("n1", await _store.FindNativeAsync(e, Origin, default));
        Assert.Equal("b-7", await _store.FindNativeAsync(e, Copy, default));
        Assert.Null(await _store.FindNativeAsync(e, new EndpointRef("beta", EndpointKind.Room, "g"), default));
        var fromCopy = await _store.FindByNativeAsync("beta", "b-7", default);
        Assert.Equal(new MappedMessage(e, Copy, "b-7", IsOrigin: false), fromCopy);
        var fromOrigin = await _store.FindByNativeAsync("alpha", "n1", default);
        Assert.Equal(new MappedMessage(e, Origin, "n1", IsOrigin: true), fromOrigin);
        Assert.Null(await _store.FindByNativeAsync("gamma", "n1", default));
    }

    [Fact]
    public async Task Everything_survives_a_restart_of_the_store()
    {
        var e = Guid.NewGuid();
        await _store.RecordIngestAsync(e, Origin, "n1", default);
        await _store.RecordDeliveryAsync(e, Copy, "b-7", default);
        await _store.SetCursorAsync("alpha", "room/1", "42", default);
        await _store.SetCursorAsync("alpha", "room/1", "43", default);
        await _store.DisposeAsync();

        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);

        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(e, "alpha", "n1", default));
        Assert.Equal("b-7", await _store.FindNativeAsync(e, Copy, default));
        Assert.Equal("43", await _store.GetCursorAsync("alpha", "room/1", default));
        Assert.Null(await _store.GetCursorAsync("alpha", "room/2", default));
    }

    [Fact]
    public async Task Cursor_writes_made_together_share_commits_and_the_last_write_of_each_key_wins()
    {
        // A thousand conversations checkpointing at once (xnest rooms do, every second): one commit
        // each would append at least a 4 KB page per commit to the WAL (4 MB); grouped, far less.
        var writes = Enumerable.Range(0, 1000).Select(i => _store.SetCursorAsync("xn", $"room/{i}", $"state-{i}", default));
        var sameKey = Task.Run(async () =>
        {
            for (var v = 0; v < 50; v++)
            {
                await _store.SetCursorAsync("xn", "room/hot", v.ToString(System.Globalization.CultureInfo.InvariantCulture), default);
            }
        });
        await Task.WhenAll(writes.Append(sameKey));

        Assert.True(new FileInfo(_path + "-wal").Length < 1024 * 1024, $"WAL grew to {new FileInfo(_path + "-wal").Length} bytes");
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);
        Assert.Equal("state-0", await _store.GetCursorAsync("xn", "room/0", default));
        Assert.Equal("state-999", await _store.GetCursorAsync("xn", "room/999", default));
        Assert.Equal("49", await _store.GetCursorAsync("xn", "room/hot", default));
    }

    [Fact]
    public async Task Logged_rows_merge_into_the_map_in_the_background_and_answer_the_same_before_and_after()
    {
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path) { MergeAt = 64, MergeChunk = 16 };
        await _store.InitializeAsync(CancellationToken.None);

        // 155 events, an origin and a copy each, in batches of ten: 150 of them past the threshold four times over.
        var events = Enumerable.Range(0, 155).Select(_ => Guid.NewGuid()).ToArray();
        async Task RecordAsync(int from, int count)
        {
            foreach (var batch in Enumerable.Range(from, count).Chunk(10))
            {
                await _store.RecordIngestsAsync(batch.Select(i => new IngestRecord(events[i], Origin, $"n{i}")).ToArray(), default);
                await _store.RecordDeliveriesAsync(batch.Select(i => new DeliveryRecord(events[i], Copy, $"b{i}")).ToArray(), default);
            }
        }

        await RecordAsync(0, 150);
        await WaitUntilAsync(() => _store.Unmerged < 64);

        // A retention pass merges whatever is left first; then five more events stay below the threshold, only logged.
        Assert.Equal(0, await _store.PruneAsync(DateTimeOffset.UtcNow.AddDays(-1), 0, default));
        Assert.Equal(0, _store.Unmerged);
        await RecordAsync(150, 5);
        Assert.Equal(10, _store.Unmerged);

        // A second write of a key keeps the first, merged or not; the rest answers as one map.
        await _store.RecordDeliveriesAsync(events.Select(e => new DeliveryRecord(e, Copy, "again")).ToArray(), default);
        await _store.RecordIngestAsync(events[0], Origin, "again", default);
        await AssertAnswersAsync();

        // What was not merged yet is at the next start: the indexes then lead to every row.
        await _store.DisposeAsync();
        Assert.Equal((300, 10), CountRows());
        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);
        await AssertAnswersAsync();
        await _store.DisposeAsync();
        Assert.Equal((310, 0), CountRows());

        async Task AssertAnswersAsync()
        {
            for (var i = 0; i < events.Length; i++)
            {
                Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(events[i], "alpha", $"n{i}", default));
                Assert.Equal(IngestLookup.DeliveredByBridge, await _store.LookupIngestAsync(Guid.NewGuid(), "beta", $"b{i}", default));
                Assert.Equal($"n{i}", await _store.FindNativeAsync(events[i], Origin, default));
                Assert.Equal($"b{i}", (await _store.FindNativesAsync([(events[i], Copy)], default))[0]);
                Assert.Equal(new MappedMessage(events[i], Origin, $"n{i}", IsOrigin: true), await _store.FindByNativeAsync("alpha", $"n{i}", default));
                Assert.Equal(new MappedMessage(events[i], Copy, $"b{i}", IsOrigin: false), await _store.FindByNativeAsync("beta", $"b{i}", default));
            }

            Assert.Null(await _store.FindByNativeAsync("beta", "again", default));
            Assert.Equal(IngestLookup.New, await _store.LookupIngestAsync(Guid.NewGuid(), "beta", "again", default));
        }
    }

    [Fact]
    public async Task A_new_event_is_answered_from_its_logged_rows_until_they_are_merged_and_from_the_map_after()
    {
        var e = Guid.NewGuid();
        var elsewhere = new EndpointRef("beta", EndpointKind.Room, "g");
        Assert.Equal(IngestLookup.New, await _store.LookupIngestAsync(e, "alpha", "n1", default));
        Assert.Null(await _store.FindNativeAsync(e, Copy, default));
        await _store.RecordIngestAsync(e, Origin, "n1", default);
        await _store.RecordDeliveryAsync(e, Copy, "b-1", default);
        Assert.Equal(new string?[] { "b-1", null }, await _store.FindNativesAsync([(e, Copy), (e, elsewhere)], default));

        // Merged (a retention pass merges first): the rows are in the map only, and found there.
        await _store.PruneAsync(DateTimeOffset.UtcNow.AddDays(-1), 0, default);
        Assert.Equal(0, _store.Unmerged);
        Assert.Equal(new string?[] { "b-1", null }, await _store.FindNativesAsync([(e, Copy), (e, elsewhere)], default));
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(e, "alpha", "n1", default));

        // Recording the copy again finds the merged row and keeps it: nothing new is logged.
        await _store.RecordDeliveryAsync(e, Copy, "b-2", default);
        Assert.Equal(0, _store.Unmerged);
        Assert.Equal("b-1", await _store.FindNativeAsync(e, Copy, default));
    }

    [Fact]
    public async Task An_event_the_map_holds_only_copies_of_is_still_looked_up_in_the_map()
    {
        // A copy recorded before its origin (publish, then record), merged before the origin comes.
        var e = Guid.NewGuid();
        await _store.RecordDeliveryAsync(e, Copy, "b-1", default);
        await _store.PruneAsync(DateTimeOffset.UtcNow.AddDays(-1), 0, default);
        Assert.Equal(0, _store.Unmerged);

        Assert.Equal(IngestLookup.New, await _store.LookupIngestAsync(e, "alpha", "n1", default));
        Assert.Equal("b-1", await _store.FindNativeAsync(e, Copy, default));
        await _store.RecordIngestAsync(e, Origin, "n1", default);
        await _store.RecordDeliveryAsync(e, Copy, "b-2", default);
        Assert.Equal(1, _store.Unmerged);
        Assert.Equal("b-1", await _store.FindNativeAsync(e, Copy, default));
    }

    [Fact]
    public async Task The_rows_waiting_for_a_merge_are_reported_per_store_file_until_the_store_closes()
    {
        await _store.RecordIngestsAsync(Enumerable.Range(0, 5).Select(i => new IngestRecord(Guid.NewGuid(), Origin, $"n{i}")).ToArray(), default);
        Assert.Equal(5, ObserveUnmerged());

        await _store.PruneAsync(DateTimeOffset.UtcNow.AddDays(-1), 0, default); // a retention pass merges first
        Assert.Equal(0, ObserveUnmerged());

        await _store.DisposeAsync();
        Assert.Null(ObserveUnmerged());
    }

    [Fact]
    public async Task Appends_that_outrun_the_merge_wait_for_it_so_the_rows_held_in_memory_stay_bounded()
    {
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path) { MergeAt = 16, MergeChunk = 4 };
        await _store.InitializeAsync(CancellationToken.None);

        // One row per append is far quicker than a merge of four rows per transaction.
        var most = 0;
        for (var i = 0; i < 600; i++)
        {
            await _store.RecordIngestAsync(Guid.NewGuid(), Origin, $"n{i}", default);
            most = Math.Max(most, _store.Unmerged);
        }

        // At most four times the threshold, plus the one append that may land just as a merge ends.
        Assert.InRange(most, 16, (4 * 16) + 1);

        // Closing may stop a merge between two transactions: the next start indexes the rest. After
        // that the indexes lead to every append, once.
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);
        await _store.DisposeAsync();
        Assert.Equal((600, 0), CountRows());
    }

    [Fact]
    public async Task A_version_2_file_is_migrated_and_answers_as_before()
    {
        var e = Guid.NewGuid();
        await WriteOlderFileAsync(Version2Tables + $"""
            INSERT INTO message_map VALUES (unhex('{e:N}'), 'alpha', 'room/1', 'n1', 1, 1);
            INSERT INTO message_map VALUES (unhex('{e:N}'), 'beta', 'group/g', 'b-7', 0, 2);
            INSERT INTO cursors VALUES ('alpha', 'room/1', '42');
            PRAGMA user_version = 2;
            """);

        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(e, "alpha", "n1", default));
        Assert.Equal(new MappedMessage(e, Copy, "b-7", IsOrigin: false), await _store.FindByNativeAsync("beta", "b-7", default));
        Assert.Equal("42", await _store.GetCursorAsync("alpha", "room/1", default));
        await _store.RecordDeliveryAsync(e, new EndpointRef("gamma", EndpointKind.Room, "r"), "c-1", default);
        await _store.DisposeAsync();
        Assert.Equal((2, 1), CountRows());
    }

    [Fact]
    public async Task A_version_1_file_is_migrated_in_place_and_answers_as_before()
    {
        // The layout written before schema versions: hex-text ids, a separate ingested table.
        var e = Guid.NewGuid();
        var origin = Guid.NewGuid();
        await WriteOlderFileAsync($"""
            CREATE TABLE ingested (event_id TEXT PRIMARY KEY, connector TEXT NOT NULL, native_id TEXT NOT NULL, at INTEGER NOT NULL);
            CREATE TABLE message_map (event_id TEXT NOT NULL, connector TEXT NOT NULL, endpoint TEXT NOT NULL, native_id TEXT NOT NULL,
                is_origin INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (event_id, connector, endpoint));
            CREATE INDEX message_map_native ON message_map (connector, native_id);
            CREATE TABLE cursors (connector TEXT NOT NULL, endpoint TEXT NOT NULL, cursor TEXT NOT NULL, PRIMARY KEY (connector, endpoint));
            INSERT INTO ingested VALUES ('{e:N}', 'alpha', 'n1', 1);
            INSERT INTO message_map VALUES ('{e:N}', 'alpha', 'room/1', 'n1', 1, 1);
            INSERT INTO message_map VALUES ('{e:N}', 'beta', 'group/g', 'b-7', 0, 2);
            INSERT INTO ingested VALUES ('{origin:N}', 'beta', 'b-9', 3);
            INSERT INTO message_map VALUES ('{origin:N}', 'beta', 'group/g', 'b-9', 1, 3);
            INSERT INTO cursors VALUES ('alpha', 'room/1', '42');
            """);

        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);

        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(e, "alpha", "n1", default));
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(origin, "beta", "b-9", default));
        Assert.Equal(IngestLookup.DeliveredByBridge, await _store.LookupIngestAsync(Guid.NewGuid(), "beta", "b-7", default));
        Assert.Equal("b-7", await _store.FindNativeAsync(e, Copy, default));
        Assert.Equal(new MappedMessage(e, Origin, "n1", IsOrigin: true), await _store.FindByNativeAsync("alpha", "n1", default));
        Assert.Equal(new MappedMessage(e, Copy, "b-7", IsOrigin: false), await _store.FindByNativeAsync("beta", "b-7", default));
        Assert.Equal("42", await _store.GetCursorAsync("alpha", "room/1", default));

        // New rows next to the migrated ones, and the version is recorded: a second start changes nothing.
        var next = Guid.NewGuid();
        await _store.RecordIngestAsync(next, Origin, "n2", default);
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(next, "alpha", "n2", default));
        Assert.Equal("b-7", await _store.FindNativeAsync(e, Copy, default));
        await _store.DisposeAsync(); // the open store holds the file exclusively
        using var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path};Pooling=false");
        check.Open();
        using var query = check.CreateCommand();
        query.CommandText = "SELECT (SELECT user_version FROM pragma_user_version) || ' ' || (SELECT count(*) FROM sqlite_master WHERE name = 'ingested')";
        Assert.Equal($"{SqliteBridgeStore.SchemaVersion} 0", query.ExecuteScalar());
    }

    [Fact]
    public async Task An_open_store_holds_its_file_so_a_second_bridge_is_refused_with_the_reason_and_gets_it_once_the_first_stops()
    {
        var e = Guid.NewGuid();
        await _store.RecordIngestAsync(e, Origin, "n1", default);

        // Held from the start: a store that has only opened the existing file, written nothing yet.
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);

        var second = new SqliteBridgeStore(_path, busyWait: TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => second.InitializeAsync(CancellationToken.None));
        Assert.Contains("in use by another bridge", error.Message);
        Assert.Contains(_path, error.Message);
        await second.DisposeAsync();

        // A shell may look meanwhile (WAL: a reader does not hold up the bridge's commits).
        using (var shell = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path};Pooling=false;Default Timeout=1"))
        {
            shell.Open();
            using var read = shell.CreateCommand();
            read.CommandText = "SELECT count(*) FROM message_rows";
            Assert.Equal(1L, read.ExecuteScalar());
        }

        // The first store still works, and once it stops the file is free with everything in it.
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(e, "alpha", "n1", default));
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path, busyWait: TimeSpan.FromSeconds(1));
        await _store.InitializeAsync(CancellationToken.None);
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(e, "alpha", "n1", default));
    }

    [Fact]
    public async Task Commits_do_not_checkpoint_the_background_connection_copies_the_wal_into_the_file()
    {
        var before = new FileInfo(_path).Length;
        var last = default(IngestRecord);
        for (var batch = 0; batch < 40; batch++)
        {
            var records = Enumerable.Range(0, 100)
                .Select(i => new IngestRecord(Guid.NewGuid(), Origin, $"n{batch}-{i}"))
                .ToArray();
            await _store.RecordIngestsAsync(records, default);
            last = records[^1];
        }

        // Nothing in the relay's commits moves a page into the file (wal_autocheckpoint 0); the
        // checkpoint connection does, within a few of its rounds, while the store stays open.
        await Eventually.TrueAsync(() => _store.CheckpointCounts.Background > 0 && new FileInfo(_path).Length > before, TimeSpan.FromSeconds(5), "a background checkpoint copied the WAL into the database file");
        Assert.Equal(0, _store.CheckpointCounts.Locked);
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(last.EventId, "alpha", last.NativeMessageId, default));
    }

    [Fact]
    public async Task Commits_back_to_back_get_a_checkpoint_that_holds_them_off_once_the_wal_passes_its_bound()
    {
        // A commit starts the WAL over only if it begins with every frame copied, which commits
        // that follow each other never find: past the bound one checkpoint holds them off, so that
        // the next one can.
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path) { LockedCheckpointAt = 256 };
        await _store.InitializeAsync(CancellationToken.None);
        var writing = Stopwatch.StartNew();
        var batch = 0;
        var last = Guid.Empty;
        while (_store.CheckpointCounts.Locked < 3 && writing.Elapsed < TimeSpan.FromSeconds(20))
        {
            var records = Enumerable.Range(0, 50).Select(i => new IngestRecord(Guid.NewGuid(), Origin, $"w{batch}-{i}")).ToArray();
            await _store.RecordIngestsAsync(records, default);
            last = records[^1].EventId;
            batch++;
        }

        Assert.True(_store.CheckpointCounts.Locked >= 3, $"{_store.CheckpointCounts.Locked} locked checkpoints in {writing.Elapsed.TotalSeconds:0.0} s ({batch} commits)");

        // And nothing was lost on the way.
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(last, "alpha", $"w{batch - 1}-49", default));
    }

    [Fact]
    public async Task A_file_from_a_newer_bridge_is_refused_with_its_version()
    {
        await _store.DisposeAsync();
        using (var newer = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path};Pooling=false"))
        {
            newer.Open();
            using var bump = newer.CreateCommand();
            bump.CommandText = "PRAGMA user_version = 99";
            bump.ExecuteNonQuery();
        }

        _store = new SqliteBridgeStore(_path);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _store.InitializeAsync(CancellationToken.None));
        Assert.Contains("schema version 99", error.Message);
        _store = new SqliteBridgeStore(_path + ".unused");
    }

    [Fact]
    public async Task Pruning_a_slice_forgets_its_old_rows_only_and_keeps_newer_rows_and_cursors()
    {
        var clock = await ReopenWithClockAsync();

        // Ids whose first byte is 0x00, 0x7F and 0xFF (the last slice has no next byte to end at).
        var old = new[] { IdStartingWith(0x00), IdStartingWith(0x7F), IdStartingWith(0xFF), IdStartingWith(0xFF) };
        foreach (var (e, i) in old.Select((e, i) => (e, i)))
        {
            await _store.RecordIngestAsync(e, Origin, $"n{i}", default);
            await _store.RecordDeliveryAsync(e, Copy, $"b{i}", default);
        }

        await _store.SetCursorAsync("alpha", "room/1", "old", default);
        clock.Now = clock.Now.AddDays(40);
        var recent = IdStartingWith(0xFF);
        await _store.RecordIngestAsync(recent, Origin, "fresh", default);
        var cut = clock.Now.AddDays(-30);

        Assert.Equal(0, await _store.PruneAsync(cut, 0x01, default));
        Assert.Equal(2, await _store.PruneAsync(cut, 0x00, default));
        Assert.Null(await _store.FindNativeAsync(old[0], Copy, default));
        Assert.Equal("b1", await _store.FindNativeAsync(old[1], Copy, default));
        Assert.Equal(4, await _store.PruneAsync(cut, 0xFF, default));
        Assert.Equal(IngestLookup.New, await _store.LookupIngestAsync(old[3], "alpha", "n3", default));
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(recent, "alpha", "fresh", default));
        Assert.Equal("old", await _store.GetCursorAsync("alpha", "room/1", default));
    }

    [Fact]
    public async Task The_pruner_removes_everything_past_the_retention_in_every_slice()
    {
        var clock = await ReopenWithClockAsync();
        const int rows = 3000;
        await _store.RecordDeliveriesAsync(Enumerable.Range(0, rows).Select(i => new DeliveryRecord(Guid.NewGuid(), Copy, $"b{i}")).ToArray(), default);
        clock.Now = clock.Now.AddDays(8);
        var kept = Guid.NewGuid();
        await _store.RecordDeliveryAsync(kept, Copy, "kept", default);

        var config = new Bridge.Host.Configuration.StoreConfig(Bridge.Host.Configuration.StoreProvider.Sqlite, _path, null, TimeSpan.FromDays(7));
        var pruner = new StorePruner(_store, config, Microsoft.Extensions.Logging.Abstractions.NullLogger<StorePruner>.Instance, new PausingClock(clock));

        Assert.Equal(rows, await pruner.PruneOnceAsync(default));
        Assert.Equal(0, await pruner.PruneOnceAsync(default));
        Assert.Equal("kept", await _store.FindNativeAsync(kept, Copy, default));
    }

    [Fact]
    public async Task Rows_a_merge_indexed_are_held_until_the_next_merge_and_lookups_answer_the_same_throughout()
    {
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path) { MergeAt = 8 };
        await _store.InitializeAsync(CancellationToken.None);
        Task FillAsync(string prefix, int count) =>
            _store.RecordIngestsAsync(Enumerable.Range(0, count).Select(i => new IngestRecord(Guid.NewGuid(), Origin, $"{prefix}{i}")).ToArray(), default);

        // A new event (the lookup marks it as in neither index), its origin merged with seven others.
        var e = Guid.NewGuid();
        Assert.Equal(IngestLookup.New, await _store.LookupIngestAsync(e, "alpha", "n-e", default));
        await _store.RecordIngestAsync(e, Origin, "n-e", default);
        await FillAsync("first", 7);
        await WaitUntilAsync(() => _store.Unmerged == 0);

        // Its copy is recorded after that merge: absent before, found after, the origin still known.
        Assert.Null(await _store.FindNativeAsync(e, Copy, default));
        Assert.Equal(IngestLookup.New, await _store.LookupIngestAsync(Guid.NewGuid(), "beta", "b-e", default));
        await _store.RecordDeliveryAsync(e, Copy, "b-e", default);
        Assert.Equal(OriginAndCopy, await _store.FindNativesAsync([(e, Origin), (e, Copy)], default));
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(e, "alpha", "n-e", default));

        // Two merges later both rows have left memory: the indexes answer the same.
        await FillAsync("second", 7);
        await WaitUntilAsync(() => _store.Unmerged == 0);
        await FillAsync("third", 8);
        await WaitUntilAsync(() => _store.Unmerged == 0);
        Assert.Equal(OriginAndCopy, await _store.FindNativesAsync([(e, Origin), (e, Copy)], default));
        Assert.Equal(new MappedMessage(e, Copy, "b-e", IsOrigin: false), await _store.FindByNativeAsync("beta", "b-e", default));
        Assert.Equal(IngestLookup.DeliveredByBridge, await _store.LookupIngestAsync(Guid.NewGuid(), "beta", "b-e", default));
        Assert.Null(await _store.FindNativeAsync(e, new EndpointRef("gamma", EndpointKind.Room, "r"), default));
        await _store.DisposeAsync();
        Assert.Equal((24, 0), CountRows());
    }

    [Fact]
    public async Task A_version_3_file_with_rows_left_in_its_log_is_migrated_and_answers_as_before()
    {
        var e = Guid.NewGuid();
        await WriteOlderFileAsync(Version2Tables + $"""
            CREATE TABLE message_log (seq INTEGER PRIMARY KEY, event_id BLOB NOT NULL, connector TEXT NOT NULL, endpoint TEXT NOT NULL,
                native_id TEXT NOT NULL, is_origin INTEGER NOT NULL, at INTEGER NOT NULL);
            INSERT INTO message_map VALUES (unhex('{e:N}'), 'alpha', 'room/1', 'n1', 1, 1);
            INSERT INTO message_log VALUES (1, unhex('{e:N}'), 'beta', 'group/g', 'b-7', 0, 2);
            INSERT INTO message_log VALUES (2, unhex('{e:N}'), 'beta', 'group/g', 'b-8', 0, 3);
            INSERT INTO cursors VALUES ('alpha', 'room/1', '42');
            PRAGMA user_version = 3;
            """);

        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(e, "alpha", "n1", default));
        Assert.Equal("b-7", await _store.FindNativeAsync(e, Copy, default)); // the log's first write of the key
        Assert.Equal(new MappedMessage(e, Copy, "b-7", IsOrigin: false), await _store.FindByNativeAsync("beta", "b-7", default));
        Assert.Null(await _store.FindByNativeAsync("beta", "b-8", default));
        Assert.Equal("42", await _store.GetCursorAsync("alpha", "room/1", default));
        await _store.DisposeAsync();
        Assert.Equal((2, 0), CountRows());
    }

    [Fact]
    public async Task A_missing_or_stale_index_file_is_rebuilt_from_the_rows_at_start()
    {
        var events = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToArray();
        await _store.RecordIngestsAsync(events.Select((e, i) => new IngestRecord(e, Origin, $"n{i}")).ToArray(), default);
        await _store.PruneAsync(DateTimeOffset.UtcNow.AddDays(-1), 0, default); // merges first
        await _store.DisposeAsync();

        // Gone: built again from the rows.
        foreach (var file in new[] { _path + "-index", _path + "-index-wal", _path + "-index-shm" })
        {
            File.Delete(file);
        }

        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);
        Assert.Equal(0, _store.Unmerged);
        Assert.Equal(new MappedMessage(events[3], Origin, "n3", IsOrigin: true), await _store.FindByNativeAsync("alpha", "n3", default));
        await _store.DisposeAsync();
        Assert.Equal((20, 0), CountRows());

        // Claiming rows the rows file does not hold (an older copy of it put back): emptied and built again.
        using (var index = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path}-index;Pooling=false"))
        {
            index.Open();
            using var ahead = index.CreateCommand();
            ahead.CommandText = "UPDATE merge_state SET indexed_through = 500; INSERT INTO event_index VALUES (7, 21);";
            ahead.ExecuteNonQuery();
        }

        _store = new SqliteBridgeStore(_path);
        await _store.InitializeAsync(CancellationToken.None);
        var next = Guid.NewGuid();
        await _store.RecordIngestAsync(next, Origin, "n-next", default);
        await _store.PruneAsync(DateTimeOffset.UtcNow.AddDays(-1), 0, default);
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(next, "alpha", "n-next", default));
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(events[0], "alpha", "n0", default));
        await _store.DisposeAsync();
        Assert.Equal((21, 0), CountRows());
    }

    [Fact]
    public async Task Appends_and_lookups_go_on_while_the_index_file_is_held_by_a_writer()
    {
        // A merge writes the index file only: a long one (here a shell holding its write lock)
        // holds up neither the relay's appends nor its lookups, and the merge catches up after.
        await _store.DisposeAsync();
        _store = new SqliteBridgeStore(_path) { MergeAt = 8 };
        await _store.InitializeAsync(CancellationToken.None);
        var events = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToArray();
        using (var shell = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path}-index;Pooling=false"))
        {
            shell.Open();
            using var hold = shell.CreateCommand();
            hold.CommandText = "BEGIN IMMEDIATE; UPDATE merge_state SET indexed_through = indexed_through;";
            hold.ExecuteNonQuery();

            var appends = Stopwatch.StartNew();
            for (var i = 0; i < events.Length; i++)
            {
                await _store.RecordIngestAsync(events[i], Origin, $"n{i}", default);
            }

            Assert.True(appends.Elapsed < TimeSpan.FromSeconds(5), $"40 appends took {appends.Elapsed.TotalSeconds:0.0} s behind the index file's writer");
            Assert.Equal(new MappedMessage(events[39], Origin, "n39", IsOrigin: true), await _store.FindByNativeAsync("alpha", "n39", default));
            Assert.Equal(40, _store.Unmerged);

            hold.CommandText = "COMMIT";
            hold.ExecuteNonQuery();
        }

        await WaitUntilAsync(() => _store.Unmerged < 8);
        Assert.Equal(IngestLookup.AlreadyIngested, await _store.LookupIngestAsync(events[0], "alpha", "n0", default));
    }

    /// <summary>The map and cursors as versions 2 and 3 wrote them (version 3 added <c>message_log</c>; version 1's ids were hex text).</summary>
    private const string Version2Tables = """
        CREATE TABLE message_map (event_id BLOB NOT NULL, connector TEXT NOT NULL, endpoint TEXT NOT NULL, native_id TEXT NOT NULL,
            is_origin INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (event_id, connector, endpoint)) WITHOUT ROWID;
        CREATE INDEX message_map_native ON message_map (connector, native_id);
        CREATE TABLE cursors (connector TEXT NOT NULL, endpoint TEXT NOT NULL, cursor TEXT NOT NULL, PRIMARY KEY (connector, endpoint));
        """;

    /// <summary>Closes the test's store and writes a file as an older build left it, in place of the store's files.</summary>
    private async Task WriteOlderFileAsync(string sql)
    {
        await _store.DisposeAsync();
        DeleteFiles();
        using var older = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path};Pooling=false");
        older.Open();
        using var create = older.CreateCommand();
        create.CommandText = sql;
        create.ExecuteNonQuery();
    }

    /// <summary>
    /// Rows the indexes lead to and rows they do not (yet), read from the files (the store must be
    /// closed: it holds them); both indexes must hold the same rows.
    /// </summary>
    private (long Indexed, long NotIndexed) CountRows()
    {
        using var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path};Pooling=false");
        check.Open();
        using var query = check.CreateCommand();
        query.CommandText = $"""
            ATTACH DATABASE '{_path}-index' AS idx;
            SELECT (SELECT count(*) FROM message_rows),
                   (SELECT count(*) FROM message_rows r WHERE EXISTS (SELECT 1 FROM idx.event_index i WHERE i.seq = r.seq AND i.event_key = r.event_key)),
                   (SELECT count(*) FROM message_rows r WHERE EXISTS (SELECT 1 FROM idx.native_index i WHERE i.seq = r.seq AND i.native_key = r.native_key));
            """;
        using var reader = query.ExecuteReader();
        reader.Read();
        var (rows, byEvent, byNative) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        Assert.Equal(byEvent, byNative);
        return (byEvent, rows - byEvent);
    }

    /// <summary>What <c>bridge.store.unmerged</c> reports for this test's file now (null: not reported).</summary>
    private int? ObserveUnmerged()
    {
        int? seen = null;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Bridge.Host.Telemetry.BridgeTelemetry.Name && instrument.Name == "bridge.store.unmerged")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "path" && (string?)tag.Value == _path)
                {
                    seen = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    private static Task WaitUntilAsync(Func<bool> condition) =>
        Eventually.TrueAsync(condition, TimeSpan.FromSeconds(10), "the background merge caught up");

    private void DeleteFiles()
    {
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm", _path + "-index", _path + "-index-wal", _path + "-index-shm" })
        {
            File.Delete(file);
        }
    }

    /// <summary>Reopens the store with a wall clock the test sets (rows are stamped with it).</summary>
    private async Task<SettableClock> ReopenWithClockAsync()
    {
        await _store.DisposeAsync();
        var clock = new SettableClock(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        _store = new SqliteBridgeStore(_path, time: clock);
        await _store.InitializeAsync(CancellationToken.None);
        return clock;
    }

    private static Guid IdStartingWith(byte first)
    {
        var bytes = Guid.NewGuid().ToByteArray(bigEndian: true);
        bytes[0] = first;
        return new Guid(bytes, bigEndian: true);
    }

    private sealed class SettableClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>The settable wall clock, with timers that do not wait (the pruner pauses between slices).</summary>
    private sealed class PausingClock(SettableClock clock) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => clock.Now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            System.CreateTimer(callback, state, TimeSpan.Zero, period);
    }
}
