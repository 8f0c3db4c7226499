using System.Diagnostics;
using System.Globalization;

namespace Bridge.Benchmarks.Relay;

/// <summary>
/// Where the machine's CPU went during a phase: the bridge, the broker, this process (load driver
/// and simulators) and the machine as a whole, in cores (CPU seconds per second), from /proc.
/// The bridge shares the machine with the other two, so a row's throughput is bounded by what they
/// leave it.
/// </summary>
public sealed record CpuSplit(double Bridge, double Broker, double Harness, double Machine)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{F(Bridge)} / {F(Broker)} / {F(Harness)} ({F(Machine)})");

    private static string F(double cores) => double.IsNaN(cores) ? "—" : cores.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>Samples CPU time of the processes involved; see <see cref="CpuSplit"/>.</summary>
public sealed class MachineCpu
{
    private readonly int? _bridgePid;
    private readonly int? _brokerPid;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly long _bridge0;
    private readonly long _broker0;
    private readonly TimeSpan _self0;
    private readonly long _machine0;

    private MachineCpu(int? bridgePid, int? brokerPid)
    {
        _bridgePid = bridgePid;
        _brokerPid = brokerPid;
        _bridge0 = bridgePid is { } p ? ProcessTicks(p) : 0;
        _broker0 = brokerPid is { } b ? ProcessTicks(b) : 0;
        _self0 = Process.GetCurrentProcess().TotalProcessorTime;
        _machine0 = MachineBusyTicks();
    }

    /// <summary>Starts measuring (no bridge for the raw baseline); the broker is whichever local process listens on <paramref name="brokerPort"/> (none when it is remote).</summary>
    public static MachineCpu Start(int? bridgePid, int brokerPort) => new(bridgePid, ListenerPid(brokerPort));

    public CpuSplit Stop()
    {
        var seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        if (seconds <= 0)
        {
            return new CpuSplit(0, 0, 0, 0);
        }

        var self = (Process.GetCurrentProcess().TotalProcessorTime - _self0).TotalSeconds;
        return new CpuSplit(
            _bridgePid is { } p ? Cores(ProcessTicks(p) - _bridge0) : double.NaN,
            _brokerPid is { } b ? Cores(ProcessTicks(b) - _broker0) : double.NaN,
            self / seconds,
            Cores(MachineBusyTicks() - _machine0));

        double Cores(long ticks) => ticks / TicksPerSecond / seconds;
    }

    /// <summary>Linux reports CPU time in USER_HZ ticks, 100 per second.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>utime + stime of a process (fields 14 and 15 of /proc/PID/stat).</summary>
    internal static long ProcessTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>All CPUs' busy time: user, nice, system, irq, softirq and steal of /proc/stat's first line.</summary>
    private static long MachineBusyTicks()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long Field(int i) => long.Parse(cpu[i], CultureInfo.InvariantCulture);
            return Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The process holding the listening TCP socket on <paramref name="port"/>: its inode from /proc/net/tcp(6), then the process with that socket open.</summary>
    private static int? ListenerPid(int port)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is the tenth field.
                if (f.Length > 9 && f[3] == "0A" && int.Parse(f[1][(f[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    inodes.Add($"socket:[{f[9]}]");
                }
            }
        }

        if (inodes.Count == 0)
        {
            return null;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                {
                    if (new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target))
                    {
                        return pid;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A process that exited meanwhile, or one we may not look into.
            }
        }

        return null;
    }
}
