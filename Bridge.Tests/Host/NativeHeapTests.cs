using System.Runtime.InteropServices;
using Bridge.Host.Runtime;

namespace Bridge.Tests.Host;

public class NativeHeapTests
{
    [Fact]
    public void Glibc_takes_the_allocator_settings()
    {
        // The CI machine and the container image both run glibc; a wrong library or entry point
        // name would make every start silently keep glibc's defaults.
        Assert.True(OperatingSystem.IsLinux(), "the bridge runs on Linux");
        Assert.True(NativeHeap.Configure());
        Assert.True(NativeHeap.Configure());
    }

    [Fact]
    public void Trimming_releases_pages_freed_below_a_block_still_in_use()
    {
        Assert.True(NativeHeap.Configure());
        // Bridge hosts of other tests in this process trim every second too, and one of theirs can
        // take the pages first: up to three tries.
        var released = false;
        for (var attempt = 0; attempt < 3 && !released; attempt++)
        {
            released = FreeBelowABlockInUseThenTrim();
        }

        Assert.True(released, "the freed pages below the block in use went back to the kernel");
    }

    /// <summary>
    /// 4 MB in blocks under the mmap threshold come from the thread's arena; the block allocated
    /// after them keeps the freed run from being the heap's top, which free() hands back by itself.
    /// </summary>
    private static bool FreeBelowABlockInUseThenTrim()
    {
        var blocks = new IntPtr[64];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(64 * 1024);
            for (var offset = 0; offset < 64 * 1024; offset += 4096)
            {
                Marshal.WriteByte(blocks[i], offset, 1);
            }
        }

        var above = Marshal.AllocHGlobal(1024);
        try
        {
            foreach (var block in blocks)
            {
                Marshal.FreeHGlobal(block);
            }

            Assert.True(NativeHeap.TryTrim(out var released));
            return released;
        }
        finally
        {
            Marshal.FreeHGlobal(above);
        }
    }
}
