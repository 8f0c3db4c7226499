using System.Collections.Concurrent;

namespace Bridge.Connectors.Glide;

/// <summary>
/// Tickets per target (uid or channel id): computed locally when the deliver secret is known,
/// otherwise fetched from the business API and cached until <see cref="Invalidate"/> (after a
/// <c>notify.forbidden</c>: the secret may have rotated).
/// </summary>
public sealed class GlideTicketSource(string senderUid, Func<string?> deliverSecret, GlideApiClient? api)
{
    private readonly ConcurrentDictionary<string, Task<string>> _cache = new(StringComparer.Ordinal);

    private int _fetches;

    /// <summary>How many tickets were fetched from the business API.</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    public ValueTask<string> GetAsync(string to, CancellationToken cancellationToken)
    {
        if (deliverSecret() is { } secret)
        {
            return ValueTask.FromResult(GlideTickets.Compute(secret, senderUid, to));
        }

        if (api is null)
        {
            throw new GlideApiException("no deliver secret and no business API to fetch a ticket from", false);
        }

        var task = _cache.GetOrAdd(to, t => FetchAsync(t, cancellationToken));
        if (task.IsFaulted || task.IsCanceled)
        {
            _cache.TryRemove(new KeyValuePair<string, Task<string>>(to, task));
        }

        return new ValueTask<string>(task);
    }

    public void Invalidate(string to) => _cache.TryRemove(to, out _);

    private async Task<string> FetchAsync(string to, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _fetches);
        try
        {
            return await api!.FetchTicketAsync(to, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _cache.TryRemove(to, out _);
            throw;
        }
    }
}
