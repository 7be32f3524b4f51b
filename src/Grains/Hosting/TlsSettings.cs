using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;
using Trainer.Core;

namespace Trainer.Grains.Hosting;

/// <summary>
/// Mutual TLS between silos, and between clients and silos (Microsoft.Orleans.Connections.Security):
/// every process presents its certificate (a PKCS#12 or PEM file, or one from the CurrentUser\My store
/// by subject) and accepts only peers whose certificate chains to the cluster's CA (--tls-ca), or,
/// without one, to the system's trusted roots. Peers are identified by their chain, not by host name.
/// </summary>
public sealed record TlsSettings(string? CertificateFile, string? Password, string? StoreSubject, string? CaFile)
{
    public bool Enabled => CertificateFile is not null || StoreSubject is not null;

    /// <summary>The options of a process: a certificate from a file or the store, and the CA; a CA without a certificate is an error.</summary>
    public static TlsSettings? From(Func<string, string?> option)
    {
        var settings = new TlsSettings(option("--tls-certificate"), option("--tls-password"), option("--tls-store-subject"), option("--tls-ca"));
        if (settings.CertificateFile is not null && settings.StoreSubject is not null)
            throw new UserInputException("--tls-certificate and --tls-store-subject both name this process's certificate; give one");
        if (!settings.Enabled && (settings.CaFile is not null || settings.Password is not null))
            throw new UserInputException("--tls-ca and --tls-password go with a certificate: add --tls-certificate FILE or --tls-store-subject NAME");
        return settings.Enabled ? settings : null;
    }

    /// <summary>Loads the certificates (one-line errors naming the file) and returns how to configure Orleans's TLS.</summary>
    public Action<TlsOptions> Configure()
    {
        var certificate = LoadCertificate();
        var ca = CaFile is null ? null : LoadCa(CaFile);
        return options =>
        {
            options.LocalCertificate = certificate;
            options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            options.RemoteCertificateValidation = (remote, _, errors) =>
            {
                var trusted = Trusted(remote, ca, errors);
                TlsHandshakeLog.Judged(remote, trusted); // a silo's log line for a refused peer says why
                return trusted;
            };
        };
    }

    /// <summary>This process's certificate with its private key (it signs the trainer's proofs of who asks, <see cref="Admission.CallerProof"/>).</summary>
    public X509Certificate2 Certificate() => LoadCertificate();

    /// <summary>The cluster's CA; null: the system's trusted roots.</summary>
    public X509Certificate2? Ca() => CaFile is null ? null : LoadCa(CaFile);

    /// <summary>Whether a peer's certificate is one the cluster accepts: chained to <paramref name="ca"/> (null: the system's roots, any host name).</summary>
    public static bool Trusted(X509Certificate2 remote, X509Certificate2? ca, SslPolicyErrors errors)
    {
        if (ca is null) return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(remote);
    }

    private X509Certificate2 LoadCertificate()
    {
        if (StoreSubject is { } subject)
        {
            using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
            store.Open(OpenFlags.ReadOnly);
            var found = store.Certificates.Find(X509FindType.FindBySubjectName, subject, validOnly: false).OfType<X509Certificate2>().FirstOrDefault(c => c.HasPrivateKey);
            return found ?? throw new UserInputException($"--tls-store-subject {subject}: no certificate with a private key for that subject in CurrentUser\\My");
        }
        var file = CertificateFile!;
        if (!File.Exists(file)) throw new UserInputException($"--tls-certificate {file}: no such file");
        try
        {
            var certificate = Path.GetExtension(file).ToLowerInvariant() is ".pfx" or ".p12"
                ? X509CertificateLoader.LoadPkcs12FromFile(file, Password)
                : X509Certificate2.CreateFromPemFile(file);
            return certificate.HasPrivateKey ? certificate : throw new UserInputException($"--tls-certificate {file}: the certificate has no private key");
        }
        catch (CryptographicException e)
        {
            throw new UserInputException($"--tls-certificate {file}: cannot read it ({e.Message.TrimEnd('.')}); expected a PKCS#12 file (.pfx, .p12; --tls-password) or PEM with its key");
        }
    }

    private static X509Certificate2 LoadCa(string file)
    {
        if (!File.Exists(file)) throw new UserInputException($"--tls-ca {file}: no such file");
        try { return X509CertificateLoader.LoadCertificateFromFile(file); }
        catch (CryptographicException e) { throw new UserInputException($"--tls-ca {file}: not a certificate ({e.Message.TrimEnd('.')})"); }
    }
}
