using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Trainer.Grains.Hosting;

/// <summary>
/// Why a client's connection to a gateway failed in its TLS handshake, if it did. Orleans's client
/// swallows a failed handshake (and a client without TLS does not know the gateway wanted one): the
/// connection just ends, "terminated prematurely". This probe does the handshake itself, with the
/// same certificate and CA, and says which side refused which certificate.
/// </summary>
public static class TlsHandshakeProbe
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3), HandshakeTimeout = TimeSpan.FromSeconds(5);
    /// <summary>Under TLS 1.3 a server judges the client's certificate after the client has finished: its refusal is an alert on the first read.</summary>
    private static readonly TimeSpan VerdictTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The reason the handshake with <paramref name="host"/>:<paramref name="port"/> fails; null when it does not (or nothing listens there).</summary>
    public static async Task<string?> DiagnoseAsync(string host, int port, TlsSettings? tls, CancellationToken cancellation)
    {
        var certificate = tls?.Certificate();
        var ca = tls?.Ca();
        using var tcp = new TcpClient();
        try
        {
            using var connecting = Deadline(ConnectTimeout, cancellation);
            await tcp.ConnectAsync(host, port, connecting.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellation.IsCancellationRequested) { return null; }

        X509Certificate2? server = null;
        var serverTrusted = false;
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, remote, _, errors) =>
        {
            if (remote is null) return false;
            server = X509CertificateLoader.LoadCertificate(remote.GetRawCertData());
            serverTrusted = TlsSettings.Trusted(server, ca, errors);
            return true; // go on, to learn whether the server takes this trainer's certificate
        });
        var refused = false;
        try
        {
            using var handshake = Deadline(HandshakeTimeout, cancellation);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                ClientCertificates = certificate is null ? null : [certificate],
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, handshake.Token);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException && !cancellation.IsCancellationRequested) { refused = true; }

        if (server is null) // the gateway never answered in TLS
            return tls is null ? null : "the gateway does not answer in TLS: does the cluster run without it? (then give no --tls-* options)";
        if (tls is null)
            return "this trainer has no client certificate, and the cluster takes only mutual TLS (give --tls-certificate FILE and --tls-ca FILE)";
        if (!serverTrusted)
            return $"the gateway's certificate ({Describe(server)}) is not signed by {(tls.CaFile is { } file ? $"--tls-ca {file}" : "a CA this machine trusts (give --tls-ca FILE)")}, so this trainer does not trust it";
        if (!refused) refused = await RefusedAfterHandshake(ssl, cancellation);
        if (!refused) return null;
        var which = tls.CertificateFile is { } own ? $"--tls-certificate {own}" : $"--tls-store-subject {tls.StoreSubject}";
        return certificate!.NotAfter < DateTime.Now
            ? $"the cluster refused this trainer's certificate ({which}, {Describe(certificate)}): it expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}"
            : $"the cluster refused this trainer's certificate ({which}, {Describe(certificate)}): it is not signed by the cluster's CA";
    }

    /// <summary>Whether the server closes the connection (or sends an alert) soon after the handshake: it did not take the client's certificate.</summary>
    private static async Task<bool> RefusedAfterHandshake(SslStream ssl, CancellationToken cancellation)
    {
        using var wait = Deadline(VerdictTimeout, cancellation);
        try { return await ssl.ReadAsync(new byte[1], wait.Token) == 0; }
        catch (Exception e) when (e is AuthenticationException or IOException) { return true; }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested) { return false; } // the gateway waits for the client: it took the certificate
    }

    /// <summary>A certificate as an operator recognises it: its subject and its issuer.</summary>
    public static string Describe(X509Certificate2 certificate) =>
        $"{certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)}, issued by {certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: true)}";

    private static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken cancellation)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        source.CancelAfter(timeout);
        return source;
    }
}
