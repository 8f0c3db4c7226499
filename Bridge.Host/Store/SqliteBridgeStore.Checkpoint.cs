using Microsoft.Data.Sqlite;

namespace Bridge.Host.Store;

/// <summary>
/// Checkpoints off the relay's path. SQLite's automatic checkpoint runs inside the commit that
/// crosses its threshold: the WAL and the database are synced there, 10–20 ms on the reference
/// machine, while every other store call waits for the connection (under sustained load, one
/// commit in a few dozen, a fifth of the time). Here the commits never checkpoint
/// (<c>wal_autocheckpoint = 0</c>); a second connection copies the committed frames into the
/// database every <see cref="CheckpointInterval"/> without the store's lock (a passive checkpoint
/// runs beside the writer). A commit starts the WAL over only when it begins with every frame
/// copied, which commits that follow each other closely never find; so once the WAL holds
/// <see cref="LockedCheckpointAt"/> frames (8,192 by default), one checkpoint takes the lock, copies what was
/// committed since the last, and the next commit starts the WAL over (a stall once per 32 MB of
/// WAL instead of once per 4 MB). One bridge per file is kept by an
/// exclusive lock on <c>PATH.lock</c>, held while the store is open.
/// </summary>
public sealed partial class SqliteBridgeStore
{
    /// <summary>WAL frames (4 KB pages) after which a checkpoint that could not finish beside the commits finishes under the lock.</summary>
    internal const int LockedCheckpointFrames = 8192;

    internal static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>The WAL size, in frames, at which a checkpoint takes the lock (tests lower it).</summary>
    internal int LockedCheckpointAt { get; init; } = LockedCheckpointFrames;

    private SqliteConnection? _checkpointConnection;
    private Task _checkpoints = Task.CompletedTask;
    private FileStream? _instanceLock;

    /// <summary>Checkpoints completed by the background connection, and those that had to take the lock.</summary>
    internal (long Background, long Locked) CheckpointCounts => (Interlocked.Read(ref _backgroundCheckpoints), Interlocked.Read(ref _lockedCheckpoints));

    private long _backgroundCheckpoints;
    private long _lockedCheckpoints;

    private bool InMemory => Path == ":memory:" || Path.StartsWith("file::memory:", StringComparison.Ordinal);

    /// <summary>Takes <c>PATH.lock</c>, waiting up to the busy wait for another bridge to let go of it.</summary>
    private async Task AcquireInstanceLockAsync(CancellationToken cancellationToken)
    {
        if (InMemory)
        {
            return;
        }

        // Real time, like SQLite's own busy wait: a clock a test controls must not hold up the file.
        var clock = TimeProvider.System;
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(_busySeconds);
        while (true)
        {
            try
            {
                _instanceLock = new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return;
            }
            catch (IOException) when (clock.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), clock, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new InvalidOperationException(
                    $"store {Path} is in use by another bridge (its lock file {Path}.lock still held after {_busySeconds} s); a SQLite store belongs to one bridge instance", e);
            }
        }
    }

    private async Task StartCheckpointsAsync(CancellationToken cancellationToken)
    {
        if (InMemory)
        {
            return;
        }

        // A passive checkpoint never waits for the writer; should SQLite still answer busy, the
        // round gives up within a second (it may hold the store's lock) and the next one tries again.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Pooling = false,
            DefaultTimeout = 1,
        }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        _checkpointConnection = connection;
        using (ExecutionContext.SuppressFlow())
        {
            _checkpoints = Task.Run(CheckpointInBackgroundAsync, CancellationToken.None);
        }
    }

    private async Task CheckpointInBackgroundAsync()
    {
        var connection = _checkpointConnection!;
        while (!_closing.IsCancellationRequested)
        {
            try
            {
                // Real time: the cadence is the disk's business, not the clock the store stamps rows with.
                await Task.Delay(CheckpointInterval, TimeProvider.System, _closing.Token).ConfigureAwait(false);
                var (_, frames, copied) = Checkpoint(connection, "PASSIVE");
                if (frames >= LockedCheckpointAt)
                {
                    // Copy what was committed during that pass, and during this one, beside the
                    // writer first: what is left for the locked pass is then a few commits' worth.
                    for (var pass = 0; pass < 2; pass++)
                    {
                        Checkpoint(connection, "PASSIVE");
                    }

                    // The WAL starts over only when a commit begins with every frame copied, and
                    // commits that follow each other closely never find it so: with the writer held
                    // off, this copies the few frames committed since, and the next commit starts
                    // the WAL from the beginning. Passive again: a shell's open read is not waited for.
                    await _lock.WaitAsync(_closing.Token).ConfigureAwait(false);
                    try
                    {
                        Checkpoint(connection, "PASSIVE");
                        Interlocked.Increment(ref _lockedCheckpoints);
                    }
                    finally
                    {
                        _lock.Release();
                    }
                }
                else if (frames > 0 && copied == frames)
                {
                    Interlocked.Increment(ref _backgroundCheckpoints);
                }
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!_closing.IsCancellationRequested)
            {
                // The frames stay in the WAL, readable and durable; the next round tries again
                // (a loop that ended here would let the WAL grow without end).
                StoreLog.CheckpointFailed(_logger, Path, e.Message);
            }
        }
    }

    /// <summary>Runs one checkpoint; returns SQLite's three numbers: busy, frames in the WAL, frames copied.</summary>
    private static (long Busy, long Frames, long Copied) Checkpoint(SqliteConnection connection, string mode)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA wal_checkpoint({mode})";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)) : (0, 0, 0);
    }

    private async Task StopCheckpointsAsync()
    {
        await _checkpoints.ConfigureAwait(false);
        if (_checkpointConnection is not null)
        {
            await _checkpointConnection.DisposeAsync().ConfigureAwait(false);
            _checkpointConnection = null;
        }
    }

    private void ReleaseInstanceLock()
    {
        _instanceLock?.Dispose();
        _instanceLock = null;
    }
}
