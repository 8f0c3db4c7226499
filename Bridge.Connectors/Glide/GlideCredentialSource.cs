using System.Security.Cryptography;
using Bridge.Connectors.Transport;

namespace Bridge.Connectors.Glide;

/// <summary>
/// A credential for each connect: minted with the gateway secret, fetched from the business API,
/// or the configured one. A credential is valid 25 minutes, so minting or the API is the way to
/// survive reconnects; the configured one is for short-lived setups and tests.
/// </summary>
internal sealed class GlideCredentialSource(GlideOptions options, GlideApiClient? api, TimeProvider time)
{
    /// <summary>The deliver secret written into minted credentials (random per process unless configured).</summary>
    private readonly string? _mintedDeliverSecret = options.GatewaySecret is null
        ? null
        : options.DeliverSecret?.Reveal() ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The ticket key when known locally; null means tickets come from the business API.</summary>
    public string? DeliverSecret => _mintedDeliverSecret ?? options.DeliverSecret?.Reveal();

    public string Source => options.GatewaySecret is not null ? "minted" : api is not null ? "api" : "configured";

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (options.GatewaySecret is { } secret)
        {
            var claims = new GlideCredentialClaims(options.Uid, options.DeviceId, "bridge", _mintedDeliverSecret!, time.GetUtcNow().ToUnixTimeMilliseconds());
            return GlideCredentials.Mint(secret.Reveal(), claims);
        }

        if (api is not null)
        {
            try
            {
                return await api.FetchCredentialAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (GlideApiException ex)
            {
                throw new SessionEndException(ex.IsAuthFailure
                    ? SessionEnd.BadCredentials($"the business API refused the token: {ex.Message}")
                    : SessionEnd.Transient($"could not get a credential: {ex.Message}"));
            }
            catch (HttpRequestException ex)
            {
                throw new SessionEndException(SessionEnd.Transient($"could not reach the business API: {ex.Message}"));
            }
        }

        return options.Credential!.Reveal();
    }
}
