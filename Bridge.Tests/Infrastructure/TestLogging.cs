using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bridge.Tests.Infrastructure;

/// <summary>Routes log lines to xunit's test output (and keeps them for assertions).</summary>
public sealed class TestLoggerProvider(ITestOutputHelper? output) : ILoggerProvider
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToArray();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public static ILoggerFactory Factory(ITestOutputHelper? output, out TestLoggerProvider provider)
    {
        provider = new TestLoggerProvider(output);
        var p = provider;
        return LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(p));
    }

    private void Write(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
        }

        try
        {
            output?.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test already finished.
        }
    }

    private sealed class Logger(TestLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var shortCategory = category[(category.LastIndexOf('.') + 1)..];
            owner.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {shortCategory}: {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.Message)}");
        }
    }
}
