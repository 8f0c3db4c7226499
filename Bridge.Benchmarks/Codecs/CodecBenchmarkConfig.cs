using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Bridge.Benchmarks.Codecs;

/// <summary>
/// The default for <c>codecs</c>: a short in-process run (3 warm-ups, 5 measured iterations) with the
/// memory diagnoser, so every codec benchmark finishes in a few minutes. Pass <c>--job Default</c>
/// (or any BenchmarkDotNet job option) for a longer, more precise run.
/// </summary>
internal sealed class CodecBenchmarkConfig : ManualConfig
{
    public CodecBenchmarkConfig(bool shortRun)
    {
        Add(DefaultConfig.Instance);
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(new TextStringBytesColumn());
        if (shortRun)
        {
            AddJob(Job.ShortRun
                .WithWarmupCount(3)
                .WithIterationCount(5)
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithId("short"));
        }

        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}

/// <summary>Bytes of the .NET string holding the message text (22 + 2n, rounded up to 8): the floor for a decode.</summary>
internal sealed class TextStringBytesColumn : IColumn
{
    public string Id => nameof(TextStringBytesColumn);

    public string ColumnName => "Text string B";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Params;

    public int PriorityInCategory => 10;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Size;

    public string Legend => "Bytes of the .NET string holding the message text (22 + 2n, rounded up to 8)";

    public static long StringBytes(int chars) => (22 + (2L * chars) + 7) & ~7L;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var param = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(CodecBenchmark.TextChars));
        return param?.Value is int chars ? StringBytes(chars).ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
