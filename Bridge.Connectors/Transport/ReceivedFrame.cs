using System.Buffers;

namespace Bridge.Connectors.Transport;

/// <summary>
/// One received frame whose bytes live in a pooled buffer until <see cref="Dispose"/>. Decode what
/// you need before disposing; dispose exactly once.
/// </summary>
public readonly struct ReceivedFrame : IDisposable
{
    private readonly byte[]? _buffer;
    private readonly int _length;

    internal ReceivedFrame(FrameKind kind, byte[]? buffer, int length, int? closeStatus = null, string? closeDescription = null)
    {
        Kind = kind;
        _buffer = buffer;
        _length = length;
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
    }

    public FrameKind Kind { get; }

    public int? CloseStatus { get; }

    public string? CloseDescription { get; }

    public int Length => _length;

    public ReadOnlySpan<byte> Span => _buffer is null ? default : _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> Memory => _buffer is null ? default : _buffer.AsMemory(0, _length);

    public static ReceivedFrame Closed(int? status, string? description) => new(FrameKind.Close, null, 0, status, description);

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
