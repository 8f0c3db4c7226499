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
}
