using System.Collections.Concurrent;

namespace Bridge.Connectors.Glide;

/// <summary>
/// Tickets per target (uid or channel id): computed locally when the deliver secret is known,
/// otherwise fetched from the business API and cached until <see cref="Invalidate"/> (after a
/// <c>notify.forbidden</c>: the secret may have rotated). A computed ticket is kept with the secret
/// it was computed from and computed again once the secret differs: two SHA-1 hashes and four
/// strings per send otherwise (about 2 % of the bytes the bridge allocates fanning out to four).
/// </summary>
public sealed class GlideTicketSource(string senderUid, Func<string?> deliverSecret, GlideApiClient? api)
{
    /// <summary>Computed tickets kept at most; past it the cache starts over (a ticket is cheap to compute again).</summary>
    internal const int MaxComputed = 4096;

    private readonly ConcurrentDictionary<string, Task<string>> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ComputedTicket> _computed = new(StringComparer.Ordinal);

    private int _fetches;

    /// <summary>How many tickets were fetched from the business API.</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    public ValueTask<string> GetAsync(string to, CancellationToken cancellationToken)
    {
        if (deliverSecret() is { } secret)
        {
            return ValueTask.FromResult(Computed(secret, to));
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

    public void Invalidate(string to)
    {
        _cache.TryRemove(to, out _);
        _computed.TryRemove(to, out _);
    }

    private string Computed(string secret, string to)
    {
        if (_computed.TryGetValue(to, out var known) && string.Equals(known.Secret, secret, StringComparison.Ordinal))
        {
            return known.Ticket;
        }

        var ticket = GlideTickets.Compute(secret, senderUid, to);
        if (_computed.Count >= MaxComputed)
        {
            _computed.Clear();
        }

        _computed[to] = new ComputedTicket(secret, ticket);
        return ticket;
    }

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

    private sealed record ComputedTicket(string Secret, string Ticket);
}
