using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Trainer.Grains.Admission;

/// <summary>
/// Who asks a parameter server to start, cancel or resume a job, on a mutual-TLS cluster: the
/// caller's certificate (public part) and its signature, with the certificate's private key, over
/// the action, the job and the time. Orleans does not tell a grain which connection (and so which
/// TLS certificate) a call came through, so the caller proves it holds the key; the proof travels
/// inside the TLS connection, and is accepted for a few minutes only.
/// </summary>
[GenerateSerializer, Immutable, Alias("trainer.caller-proof")]
public sealed record CallerProof(byte[] Certificate, string Action, string Job, DateTime SignedUtc, byte[] Signature)
{
    public const string Start = "start", Cancel = "cancel", Resume = "resume", Follow = "follow", Finish = "finish", Status = "status";

    /// <summary>The job a proof for the whole job list ('trainer status') names.</summary>
    public const string AllJobs = "*";

    /// <summary>The proof that the holder of <paramref name="certificate"/> (with its private key) asks for <paramref name="action"/> on <paramref name="job"/> now.</summary>
    public static CallerProof Sign(X509Certificate2 certificate, string action, string job)
    {
        var now = DateTime.UtcNow;
        var payload = Payload(action, job, now);
        byte[] signature;
        if (certificate.GetECDsaPrivateKey() is { } ecdsa) using (ecdsa) signature = ecdsa.SignData(payload, HashAlgorithmName.SHA256);
        else if (certificate.GetRSAPrivateKey() is { } rsa) using (rsa) signature = rsa.SignData(payload, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        else throw new Core.UserInputException("--tls-certificate: its key is neither RSA nor ECDSA, so it cannot sign for its jobs");
        return new CallerProof(certificate.RawData, action, job, now, signature);
    }

    /// <summary>Whether the signature is the certificate's over this action, job and time.</summary>
    public bool SignatureHolds(X509Certificate2 certificate)
    {
        var payload = Payload(Action, Job, SignedUtc);
        if (certificate.GetECDsaPublicKey() is { } ecdsa) using (ecdsa) return ecdsa.VerifyData(payload, Signature, HashAlgorithmName.SHA256);
        if (certificate.GetRSAPublicKey() is { } rsa) using (rsa) return rsa.VerifyData(payload, Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return false;
    }

    /// <summary>A certificate's SHA-256 fingerprint as upper-case hex: what --tls-operators lists and <c>openssl x509 -fingerprint -sha256</c> prints (without colons).</summary>
    public static string Fingerprint(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    private static byte[] Payload(string action, string job, DateTime signedUtc) =>
        Encoding.UTF8.GetBytes($"trainer/{action}/{job}/{signedUtc.ToUniversalTime():O}");
}
