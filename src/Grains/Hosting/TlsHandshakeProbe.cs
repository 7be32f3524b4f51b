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
    /// <summary>How long the first read after a handshake waits for the server's verdict on the client's certificate.</summary>
    private static readonly TimeSpan VerdictTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The reason the handshake with <paramref name="host"/>:<paramref name="port"/> fails, on clear evidence only: a TLS
    /// alert, a certificate one side cannot trust, or bytes that are not TLS. Null when it does not fail, when nothing
    /// listens there, and when the gateway only stalls or closes (a frozen or overloaded silo: the caller's retries go on).
    /// </summary>
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
        var received = new FirstByteStream(tcp.GetStream());
        await using var ssl = new SslStream(received, leaveInnerStreamOpen: false, (_, remote, _, errors) =>
        {
            if (remote is null) return false;
            server = X509CertificateLoader.LoadCertificate(remote.GetRawCertData());
            serverTrusted = TlsSettings.Trusted(server, ca, errors);
            return true; // go on, to learn whether the server takes this trainer's certificate
        });
        Outcome handshake;
        try
        {
            using var deadline = Deadline(HandshakeTimeout, cancellation);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                ClientCertificates = certificate is null ? null : [certificate],
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, deadline.Token);
            handshake = await VerdictAfterHandshake(ssl, cancellation);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            handshake = Read(e);
        }

        if (server is null) // no certificate from the gateway: only bytes that are not TLS say it runs without
            return tls is not null && received.First is { } first && !IsTlsRecord(first)
                ? "the gateway does not answer in TLS: does the cluster run without it? (then give no --tls-* options)"
                : null;
        if (tls is null)
            return "this trainer has no client certificate, and the cluster takes only mutual TLS (give --tls-certificate FILE and --tls-ca FILE)";
        if (!serverTrusted)
            return $"the gateway's certificate ({Describe(server)}) is not signed by {(tls.CaFile is { } file ? $"--tls-ca {file}" : "a CA this machine trusts (give --tls-ca FILE)")}, so this trainer does not trust it";
        var expired = certificate!.NotAfter < DateTime.Now;
        // .NET's server ends the connection without an alert when it refuses a certificate: a close is evidence
        // only with a reason seen here too (this certificate expired, or the CA that signed the gateway's did not sign it)
        var refused = handshake == Outcome.Refused || handshake == Outcome.Closed && (expired || !(ca is null ? Chains(certificate) : TlsSettings.Trusted(certificate, ca, SslPolicyErrors.None)));
        if (!refused) return null;
        var which = tls.CertificateFile is { } own ? $"--tls-certificate {own}" : $"--tls-store-subject {tls.StoreSubject}";
        return expired
            ? $"the cluster refused this trainer's certificate ({which}, {Describe(certificate)}): it expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}"
            : $"the cluster refused this trainer's certificate ({which}, {Describe(certificate)}): it is not signed by the cluster's CA";
    }

    /// <summary>What a handshake, and the first read after it, tell: it completed; refused (a TLS alert); closed (no alert); or nothing (a timeout).</summary>
    private enum Outcome { Completed, Refused, Closed, Unclear }

    /// <summary>An alert or a failed certificate check is an AuthenticationException (perhaps inside an IOException); a close is a bare IOException; a timeout says nothing.</summary>
    private static Outcome Read(Exception e) =>
        e is AuthenticationException || e.InnerException is AuthenticationException ? Outcome.Refused
        : e is IOException ? Outcome.Closed
        : Outcome.Unclear;

    /// <summary>
    /// Under TLS 1.3 a server judges the client's certificate after the client has finished: its refusal comes on the
    /// first read. Silence until the deadline: the gateway waits for the client, so it took the certificate.
    /// </summary>
    private static async Task<Outcome> VerdictAfterHandshake(SslStream ssl, CancellationToken cancellation)
    {
        using var wait = Deadline(VerdictTimeout, cancellation);
        try { return await ssl.ReadAsync(new byte[1], wait.Token) == 0 ? Outcome.Closed : Outcome.Completed; }
        catch (Exception e) when (e is AuthenticationException or IOException) { return Read(e); }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested) { return Outcome.Completed; }
    }

    /// <summary>Whether a certificate chains to the system's trusted roots.</summary>
    private static bool Chains(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    /// <summary>A TLS record starts with its content type: change cipher spec, alert, handshake or application data.</summary>
    private static bool IsTlsRecord(byte first) => first is >= 20 and <= 23;

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
