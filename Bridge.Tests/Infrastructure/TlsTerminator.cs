using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bridge.Tests.Infrastructure;

/// <summary>
/// A TLS terminator on a loopback port with a fresh self-signed certificate, piping the plaintext to
/// a simulator: lets a connector talk wss:// to a simulator that listens on ws:// only.
/// </summary>
public sealed class TlsTerminator : IAsyncDisposable
{
    private readonly X509Certificate2 _certificate = SelfSigned();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private int _handshakes;

    public TlsTerminator(int targetPort)
    {
        _listener.Start();
        _accept = AcceptAsync(targetPort);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Handshakes => Volatile.Read(ref _handshakes);

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    private async Task AcceptAsync(int targetPort)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                using (var server = new TcpClient())
                {
                    try
                    {
                        await using var tls = new SslStream(client.GetStream());
                        await tls.AuthenticateAsServerAsync(_certificate);
                        Interlocked.Increment(ref _handshakes);
                        await server.ConnectAsync(IPAddress.Loopback, targetPort);
                        var plain = server.GetStream();
                        await Task.WhenAny(tls.CopyToAsync(plain, _stop.Token), plain.CopyToAsync(tls, _stop.Token));
                    }
                    catch (Exception)
                    {
                        // A side went away.
                    }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        _stop.Dispose();
        _certificate.Dispose();
    }
}
