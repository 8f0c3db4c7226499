using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bridge.Connectors.Rtm;
using Bridge.Contracts.V1;
using Bridge.Simulators.Rtm;
using Xunit.Abstractions;

namespace Bridge.Tests.Rtm;

/// <summary>wss: the connector talks TLS to a gate (here a TLS terminator in front of the simulator).</summary>
public sealed class RtmTlsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Logs_in_and_relays_over_wss()
    {
        await using var rig = await RtmRig.StartSimulatorAsync(output, new RtmSimulatorOptions { PingInterval = null });
        using var certificate = SelfSigned();
        await using var terminator = new TlsTerminator(certificate, rig.Simulator.Port);
        rig.CreateConnector(o => o with
        {
            Endpoint = new Uri($"wss://127.0.0.1:{terminator.Port}/service/websocket"),
            AllowUntrustedCertificate = true,
        });
        rig.Run();
        await rig.WaitConnectedAsync("logged in over wss");
        await rig.Simulator.SendAsync(RtmRig.Alice, RtmConversationType.Room, RtmRig.Room, "over tls");
        Assert.Equal("over tls", (await rig.Sink.WaitForAsync<MessagePosted>(1))[0].Body.Text);
        Assert.True(terminator.Handshakes >= 1);
    }

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

    /// <summary>Accepts TLS on a loopback port and pipes the plaintext to the simulator.</summary>
    private sealed class TlsTerminator : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accept;
        private int _handshakes;

        public TlsTerminator(X509Certificate2 certificate, int targetPort)
        {
            _listener.Start();
            _accept = AcceptAsync(certificate, targetPort);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Handshakes => Volatile.Read(ref _handshakes);

        private async Task AcceptAsync(X509Certificate2 certificate, int targetPort)
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
                            await tls.AuthenticateAsServerAsync(certificate);
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
        }
    }
}
