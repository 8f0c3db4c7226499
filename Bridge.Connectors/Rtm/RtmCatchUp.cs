using System.Globalization;
using Bridge.Connectors.Abstractions;
using Bridge.Connectors.Rtm.MsgPack;
using Bridge.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.Rtm;

/// <summary>
/// After each (re)connect: pages the history of every routed room, group and p2p peer forward
/// from its stored cursor (<c>get*msg</c>, <c>desc:false</c>, 20 per page), bounded by
/// <see cref="RtmOptions.CatchUpLimit"/> per endpoint; deleted and own messages are skipped, and
/// overlap with live pushes is dropped by the sink (same event id as the push).
/// An endpoint without a cursor (the first start) starts at <paramref name="firstStartMs"/>, the
/// moment the connector's first session began, so what was posted between login and
/// <c>enterroom</c> is fetched, and so is what an earlier session received but could not make durable.
/// An endpoint whose history was read to its end is reported through <paramref name="caughtUp"/>
/// (live pushes move its cursor only from then on).
/// </summary>
internal sealed class RtmCatchUp(string connector, RtmOptions options, IInboundSink sink, RtmLink link, RtmCursorBook cursors, IReadOnlyList<EndpointRef> endpoints, long firstStartMs, TimeProvider time, ILogger logger, Action<string> caughtUp)
{
    public const int PageSize = 20;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        var incomplete = 0;
        foreach (var endpoint in endpoints)
        {
            if (!long.TryParse(endpoint.NativeId, NumberStyles.None, CultureInfo.InvariantCulture, out var target))
            {
                caughtUp(endpoint.Path); // no history to read
                continue;
            }

            var type = endpoint.Kind switch
            {
                EndpointKind.User => RtmConversationType.P2P,
                EndpointKind.Group => RtmConversationType.Group,
                _ => RtmConversationType.Room,
            };
            var stored = await cursors.GetAsync(endpoint.Path, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                cursors.Advance(endpoint.Path, firstStartMs);
            }

            var begin = stored ?? firstStartMs;
            try
            {
                var (count, complete) = await CatchUpAsync(endpoint, type, target, begin, cancellationToken).ConfigureAwait(false);
                RtmLog.CaughtUp(logger, connector, count, endpoint.Path);
                total += count;
                if (complete)
                {
                    caughtUp(endpoint.Path);
                }
                else
                {
                    incomplete++;
                }
            }
            catch (Exception ex) when (ex is TimeoutException or RtmErrorException or MsgPackException)
            {
                RtmLog.CatchUpFailed(logger, connector, endpoint.Path, ex.Message);
                incomplete++;
            }
        }

        RtmLog.CatchUpPassDone(logger, connector, total, endpoints.Count, incomplete);

        await cursors.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Relays the endpoint's history from <paramref name="begin"/>; complete unless <see cref="RtmOptions.CatchUpLimit"/> cut it short.</summary>
    private async Task<(int Relayed, bool Complete)> CatchUpAsync(EndpointRef endpoint, RtmConversationType type, long target, long begin, CancellationToken cancellationToken)
    {
        var fetched = 0;
        var relayed = 0;
        long lastId = 0;
        while (fetched < options.CatchUpLimit)
        {
            var num = Math.Min(PageSize, options.CatchUpLimit - fetched);
            var answer = await link.CallAsync(seq => RtmQuests.History(seq, type, target, num, begin, lastId), cancellationToken).ConfigureAwait(false);
            if (answer.IsError)
            {
                throw new RtmErrorException(RtmMethods.History(type), answer.ErrorCode, answer.ErrorText);
            }

            var (items, nextLastId) = ReadPage(answer.Payload, type, target);
            fetched += items.Count;
            foreach (var item in items)
            {
                if (item.Deleted)
                {
                    continue;
                }

                var posted = RtmNormalizer.ToPosted(connector, item, options, time.GetUtcNow(), out _);
                if (posted is not null)
                {
                    await sink.PostedAsync(posted, cancellationToken).ConfigureAwait(false);
                    relayed++;
                }

                cursors.Advance(endpoint.Path, item.MTime);
            }

            await cursors.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (items.Count < num || nextLastId <= lastId)
            {
                return (relayed, true);
            }

            lastId = nextLastId;
        }

        return (relayed, false);
    }

    /// <summary>Reads <c>{num, lastid, begin, end, msgs}</c>; p2p items get from/to resolved from the direction.</summary>
    private (List<RtmPush> Items, long LastId) ReadPage(byte[] payload, RtmConversationType type, long target)
    {
        var items = new List<RtmPush>();
        long lastId = 0;
        var reader = new MsgPackReader(payload);
        for (var n = reader.ReadMapHeader(); n > 0; n--)
        {
            var key = reader.PeekType() is MsgPackType.String ? reader.ReadString() : null;
            if (key is null)
            {
                reader.Skip();
                reader.Skip();
            }
            else if (key == "lastid")
            {
                lastId = reader.ReadInt64();
            }
            else if (key == "msgs")
            {
                for (var count = reader.ReadArrayHeader(); count > 0; count--)
                {
                    var item = RtmPushDecoder.ReadHistoryItem(ref reader, type, target);
                    if (type == RtmConversationType.P2P)
                    {
                        // item[1] is the direction: 1 = sent by us, 2 = received from the peer.
                        item = item.From == 1
                            ? item with { From = options.Uid, Target = target }
                            : item with { From = target, Target = options.Uid };
                    }

                    items.Add(item);
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return (items, lastId);
    }
}
