using System.Collections.Concurrent;

namespace Bridge.Host.Delivery;

/// <summary>
/// Whether anybody listens to an outcome event type on the broker. Outcome events go to a fanout
/// exchange per type; with no queue bound the broker drops them, so publishing them only costs.
/// Every outcome is published with the mandatory flag: one the broker returns (routed to no
/// queue) marks its type unheard, and from then on only one event of that type per probe interval
/// is published, until one is routed again (a queue was bound) and every event of the type is
/// published once more. An observer that binds a queue therefore receives every outcome from at
/// most one probe interval after it bound. A type starts heard: nothing is skipped before the
/// broker said so.
/// </summary>
internal sealed class OutcomeAudience(TimeProvider time, TimeSpan probeInterval)
{
    private readonly ConcurrentDictionary<Type, State> _types = new();

    /// <summary>False when the event would go to a type nobody listens to and its next probe is not due.</summary>
    public bool ShouldPublish(Type type)
    {
        var state = StateOf(type);
        lock (state)
        {
            if (!state.Unheard)
            {
                return true;
            }

            var now = time.GetTimestamp();
            if (time.GetElapsedTime(state.LastProbe, now) < probeInterval)
            {
                return false;
            }

            state.LastProbe = now;
            return true;
        }
    }

    /// <summary>An event of the type was routed to a queue. True when that changed the type's state.</summary>
    public bool Heard(Type type) => Set(type, unheard: false);

    /// <summary>The broker returned an event of the type: no queue is bound. True when that changed the type's state.</summary>
    public bool Unheard(Type type) => Set(type, unheard: true);

    private bool Set(Type type, bool unheard)
    {
        var state = StateOf(type);
        lock (state)
        {
            if (state.Unheard == unheard)
            {
                return false;
            }

            state.Unheard = unheard;
            state.LastProbe = time.GetTimestamp();
            return true;
        }
    }

    private State StateOf(Type type) => _types.GetOrAdd(type, static _ => new State());

    private sealed class State
    {
        public bool Unheard { get; set; }

        public long LastProbe { get; set; }
    }
}
