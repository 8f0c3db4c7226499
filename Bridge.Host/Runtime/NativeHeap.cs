using System.Runtime.InteropServices;

namespace Bridge.Host.Runtime;

/// <summary>
/// Settings for the C library's allocator, which SQLite, the runtime and OpenSSL allocate from.
/// glibc gives threads arenas of their own, up to eight per core, and once a large block (a merge's
/// sorter, a page cache) is freed it raises its mmap threshold to that block's size, so later large
/// blocks come from the arenas, where freed memory mostly stays resident. Applied once at start:
/// at most two arenas, and blocks of 128 KB or more always mapped and unmapped on their own.
/// Measured on the sustained fan-out over 1,000 rooms, at the peak: the allocator held 23-27 MB
/// with glibc's defaults, 19-22 MB with these settings (arenas the runtime's start-up threads made
/// before this runs stay), 15-18 MB with them set in the environment, as the container image does.
/// An operator's <c>MALLOC_ARENA_MAX</c> or <c>MALLOC_MMAP_THRESHOLD_</c> wins. Does nothing where
/// the C library is not glibc.
/// </summary>
internal static class NativeHeap
{
    /// <summary>glibc's <c>M_MMAP_THRESHOLD</c>: a fixed value also turns the dynamic threshold off.</summary>
    private const int MmapThresholdParameter = -3;

    /// <summary>glibc's <c>M_ARENA_MAX</c>.</summary>
    private const int ArenaMaxParameter = -8;

    public const int ArenaMax = 2;

    public const int MmapThreshold = 128 * 1024;

    /// <summary>Applies the settings; false where they could not be (not Linux, not glibc, or glibc refused).</summary>
    public static bool Configure()
    {
        var applied = true;
        return OnGlibc(() =>
        {
            if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null)
            {
                applied &= Mallopt(ArenaMaxParameter, ArenaMax) == 1;
            }

            if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null)
            {
                applied &= Mallopt(MmapThresholdParameter, MmapThreshold) == 1;
            }
        }) && applied;
    }

    /// <summary>
    /// Hands the allocator's free pages back to the kernel (<c>malloc_trim</c>), in every arena and
    /// not only at a heap's top. False where that is not glibc's allocator; <paramref name="released"/>
    /// says whether any memory went back.
    /// </summary>
    public static bool TryTrim(out bool released)
    {
        var trimmed = false;
        var called = OnGlibc(() => trimmed = MallocTrim(0) == 1);
        released = trimmed;
        return called;
    }

    /// <summary>Runs <paramref name="call"/> into glibc; false where there is none (not Linux, or another C library).</summary>
    private static bool OnGlibc(Action call)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            call();
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // Plain DllImport: two ints need no marshalling, and LibraryImport would need unsafe code allowed.
    [DllImport("libc.so.6", EntryPoint = "mallopt", ExactSpelling = true)]
    private static extern int Mallopt(int parameter, int value);

    [DllImport("libc.so.6", EntryPoint = "malloc_trim", ExactSpelling = true)]
    private static extern int MallocTrim(nuint pad);
}
