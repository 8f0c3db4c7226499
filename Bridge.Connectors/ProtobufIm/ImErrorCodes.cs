using Bridge.Connectors.Abstractions;
using Bridge.Connectors.ProtobufIm.Wire;

namespace Bridge.Connectors.ProtobufIm;

/// <summary>Maps the server's <c>ErrorCode</c> values (including those v1 never sends) to typed send failures.</summary>
public static class ImErrorCodes
{
    /// <summary>The enum name as the schema spells it (<c>ERR_PERMISSION_DENIED</c>), or the number.</summary>
    public static string Name(ErrorCode code) => code switch
    {
        ErrorCode.ErrSuccess => "ERR_SUCCESS",
        ErrorCode.ErrUnknown => "ERR_UNKNOWN",
        ErrorCode.ErrInvalidParam => "ERR_INVALID_PARAM",
        ErrorCode.ErrAuthFailed => "ERR_AUTH_FAILED",
        ErrorCode.ErrTokenExpired => "ERR_TOKEN_EXPIRED",
        ErrorCode.ErrPermissionDenied => "ERR_PERMISSION_DENIED",
        ErrorCode.ErrUserNotExist => "ERR_USER_NOT_EXIST",
        ErrorCode.ErrMessageTooLarge => "ERR_MESSAGE_TOO_LARGE",
        ErrorCode.ErrSendTooFast => "ERR_SEND_TOO_FAST",
        ErrorCode.ErrConversationNotExist => "ERR_CONVERSATION_NOT_EXIST",
        _ => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// A failed reply as a send result. Authentication problems and rate limiting are transient
    /// (the session re-authenticates, or a later retry succeeds); everything else is a rejection
    /// that retrying cannot fix, except a size complaint, which is <see cref="SendFailureKind.TooLarge"/>.
    /// </summary>
    public static SendResult ToFailure(ErrorCode code, string message, string operation)
    {
        var name = Name(code);
        var reason = string.IsNullOrEmpty(message) ? $"{operation} failed with {name}" : $"{operation} failed with {name}: {message}";
        return code switch
        {
            ErrorCode.ErrAuthFailed or ErrorCode.ErrTokenExpired => SendResult.NotConnected(reason),
            ErrorCode.ErrSendTooFast => SendResult.TimedOut(reason + " (rate limited; retry later)"),
            ErrorCode.ErrMessageTooLarge => SendResult.TooLarge(reason),
            _ => SendResult.Rejected(reason, name),
        };
    }

    /// <summary>Why an authentication reply refused the session.</summary>
    public static string AuthFailure(ErrorCode code, string message) =>
        $"authentication refused: {Name(code)}{(string.IsNullOrEmpty(message) ? string.Empty : $" ({message})")}";
}
