using Bridge.Connectors.ProtobufIm.Wire;
using Microsoft.Extensions.Logging;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>
/// SYNC paging as the v1 server needs it (protocol document, section 6): <c>min_seq</c> is
/// ignored and seqs are per sender, so pages go up from <c>max_seq</c>; while pages are full the
/// next one starts at (highest seq in the page) - 1 so equal seqs at a page boundary are not
/// skipped; ids are deduplicated; paging stops when <c>has_more</c> is false, a page brings no
/// new id, the page budget is spent, or (live fills) a page reached <c>stopAtSeq</c>.
/// </summary>
internal static class ImCatchUp
{
    /// <summary>Pages from <paramref name="fromSeq"/>; <c>Complete</c> is false when the page budget ran out first.</summary>
    public static async Task<(int Pages, int Messages, bool Complete, long Reached)> PageAsync(
        ImLink link, ProtobufImOptions options, long fromSeq, int maxPages, Func<PushMessage, ValueTask> onMessage,
        string connector, ILogger logger, CancellationToken cancellationToken, long stopAtSeq = long.MaxValue)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var maxSeq = fromSeq;
        var pages = 0;
        while (true)
        {
            if (pages >= maxPages)
            {
                ProtobufImLog.CatchUpStopped(logger, connector, $"page budget of {maxPages} spent at seq {maxSeq}");
                return (pages, seen.Count, false, maxSeq);
            }

            var request = new SyncRequest { MaxSeq = maxSeq, Limit = options.SyncPageSize };
            var reply = await link.RequestAsync(CommandType.CmdSyncReq, request, options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            if (reply.Message is not SyncResponse page)
            {
                throw new IOException($"unexpected reply {reply.Command} to SYNC_REQ");
            }

            if (page.ErrorCode != ErrorCode.ErrSuccess)
            {
                ProtobufImLog.CatchUpStopped(logger, connector, $"SYNC failed with {ImErrorCodes.Name(page.ErrorCode)}: {page.ErrorMsg}");
                return (pages, seen.Count, true, maxSeq);
            }

            pages++;
            var fresh = 0;
            var highest = maxSeq;
            foreach (var message in page.Messages)
            {
                highest = Math.Max(highest, message.Seq);
                if (seen.Add(message.MessageId))
                {
                    fresh++;
                    await onMessage(message).ConfigureAwait(false);
                }
            }

            if (!page.HasMore || fresh == 0 || highest >= stopAtSeq)
            {
                return (pages, seen.Count, true, maxSeq);
            }

            var next = highest - 1 > maxSeq ? highest - 1 : highest;
            if (next <= maxSeq)
            {
                return (pages, seen.Count, true, maxSeq);
            }

            maxSeq = next;
        }
    }
}
