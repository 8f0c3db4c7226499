namespace Bridge.Connectors.Xnest;

/// <summary>
/// Room sends waiting for their own <c>normal</c> echo, the only confirmation xnest gives. Matched
/// by the exact text, first come first served (two sends of the same text are confirmed in order).
/// </summary>
internal sealed class XnestEchoWaiters
{
    private readonly Dictionary<string, LinkedList<TaskCompletionSource<string>>> _byText = new(StringComparer.Ordinal);

    public TaskCompletionSource<string> Register(string text)
    {
        var waiter = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_byText)
        {
            if (!_byText.TryGetValue(text, out var list))
            {
                _byText[text] = list = new LinkedList<TaskCompletionSource<string>>();
            }

            list.AddLast(waiter);
        }

        return waiter;
    }

    /// <summary>Confirms the oldest send of this text with the echo's derived id; false when none waited.</summary>
    public bool Complete(string text, string nativeId)
    {
        TaskCompletionSource<string>? waiter;
        lock (_byText)
        {
            if (!_byText.TryGetValue(text, out var list) || list.First is null)
            {
                return false;
            }

            waiter = list.First.Value;
            list.RemoveFirst();
            if (list.Count == 0)
            {
                _byText.Remove(text);
            }
        }

        return waiter.TrySetResult(nativeId);
    }

    public void Remove(string text, TaskCompletionSource<string> waiter)
    {
        lock (_byText)
        {
            if (_byText.TryGetValue(text, out var list) && list.Remove(waiter) && list.Count == 0)
            {
                _byText.Remove(text);
            }
        }
    }

    public void FailAll(Exception error)
    {
        List<TaskCompletionSource<string>> all;
        lock (_byText)
        {
            all = _byText.Values.SelectMany(l => l).ToList();
            _byText.Clear();
        }

        foreach (var waiter in all)
        {
            waiter.TrySetException(error);
        }
    }
}
