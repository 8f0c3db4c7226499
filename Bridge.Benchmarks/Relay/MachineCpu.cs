using System.Diagnostics;
using System.Globalization;

namespace Bridge.Benchmarks.Relay;

/// <summary>
/// Where the machine's CPU went during a phase: CPU time of the bridge, the broker, this process
/// (load driver and simulators) and the machine as a whole (null where a process was not
/// measured), over <see cref="Wall"/>, from /proc. The bridge shares the machine with the other
/// two, so a row's throughput is bounded by what they leave it.
/// </summary>
public sealed record CpuSplit(TimeSpan Wall, TimeSpan? Bridge, TimeSpan? Broker, TimeSpan Harness, TimeSpan Machine)
{
    /// <summary>Cores used (CPU seconds per second): bridge / broker / harness (machine).</summary>
    public override string ToString() => $"{Cores(Bridge)} / {Cores(Broker)} / {Cores(Harness)} ({Cores(Machine)})";

    private string Cores(TimeSpan? cpu) =>
        cpu is { } c && Wall > TimeSpan.Zero ? (c / Wall).ToString("0.00", CultureInfo.InvariantCulture) : "—";
}

/// <summary>Samples CPU time of the processes involved; see <see cref="CpuSplit"/>.</summary>
public sealed class MachineCpu
{
    private readonly int? _bridgePid;
    private readonly int? _brokerPid;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly TimeSpan _bridge0;
    private readonly TimeSpan _broker0;
    private readonly TimeSpan _self0 = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly TimeSpan _machine0 = MachineBusy();

    private MachineCpu(int? bridgePid, int? brokerPid)
    {
        _bridgePid = bridgePid;
        _brokerPid = brokerPid;
        _bridge0 = bridgePid is { } p ? ProcessCpu(p) : TimeSpan.Zero;
        _broker0 = brokerPid is { } b ? ProcessCpu(b) : TimeSpan.Zero;
    }

    /// <summary>Starts measuring (no bridge for the raw baseline); the broker is whichever local process listens on <paramref name="brokerPort"/> (none when it is remote).</summary>
    public static MachineCpu Start(int? bridgePid, int brokerPort) => new(bridgePid, ListenerPid(brokerPort));

    public CpuSplit Stop() => new(
        Stopwatch.GetElapsedTime(_start),
        _bridgePid is { } p ? ProcessCpu(p) - _bridge0 : null,
        _brokerPid is { } b ? ProcessCpu(b) - _broker0 : null,
        Process.GetCurrentProcess().TotalProcessorTime - _self0,
        MachineBusy() - _machine0);

    /// <summary>Linux reports CPU time in USER_HZ ticks, 100 per second.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>utime + stime of a process (fields 14 and 15 of /proc/PID/stat).</summary>
    internal static TimeSpan ProcessCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return Ticks(long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>All CPUs' busy time: user, nice, system, irq, softirq and steal of /proc/stat's first line.</summary>
    private static TimeSpan MachineBusy()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long Field(int i) => long.Parse(cpu[i], CultureInfo.InvariantCulture);
            return Ticks(Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8));
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    private static TimeSpan Ticks(long userHz) => TimeSpan.FromSeconds(userHz / TicksPerSecond);

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
