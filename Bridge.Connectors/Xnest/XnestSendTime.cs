using System.Globalization;

namespace Bridge.Connectors.Xnest;

/// <summary>
/// The server's times: live frames carry unpadded local time without zone (<c>2015-4-8 14:2:6</c>),
/// history items a zero-padded date (<c>2015-06-24</c>). Both reduce to the same date key, which is
/// what lets a live message and its later history copy be recognised as one.
/// </summary>
public static class XnestSendTime
{
    /// <summary>Formats a live <c>send_time</c> the way the server does.</summary>
    public static string FormatLive(DateTime local) => string.Create(CultureInfo.InvariantCulture,
        $"{local.Year}-{local.Month}-{local.Day} {local.Hour}:{local.Minute}:{local.Second}");

    /// <summary>Formats a history item's date the way the server does.</summary>
    public static string FormatDate(DateTime local) => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The zero-padded date (<c>yyyy-MM-dd</c>) of a live or history time; the raw text when it has no date.</summary>
    public static string DateKey(string sendTime)
    {
        var span = sendTime.AsSpan();
        var space = span.IndexOf(' ');
        var date = space >= 0 ? span[..space] : span;
        Span<Range> parts = stackalloc Range[4];
        if (date.Split(parts, '-') == 3
            && int.TryParse(date[parts[0]], NumberStyles.None, CultureInfo.InvariantCulture, out var y)
            && int.TryParse(date[parts[1]], NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            && int.TryParse(date[parts[2]], NumberStyles.None, CultureInfo.InvariantCulture, out var d)
            && y is >= 1 and <= 9999 && m is >= 1 and <= 12 && d is >= 1 and <= 31)
        {
            if (space < 0 && date.Length == 10)
            {
                return sendTime;
            }

            return string.Create(CultureInfo.InvariantCulture, $"{y:D4}-{m:D2}-{d:D2}");
        }

        return sendTime;
    }
}
