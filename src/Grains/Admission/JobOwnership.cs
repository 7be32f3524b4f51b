using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Trainer.Core;

namespace Trainer.Grains.Admission;

/// <summary>
/// On a mutual-TLS cluster a job belongs to the certificate that started it (its SHA-256
/// fingerprint, kept in the job's spec and so in its checkpoint): only that certificate, or an
/// operator's (--tls-operators), may cancel or resume it. A caller proves its certificate with a
/// <see cref="CallerProof"/> that chains to the cluster's CA. Without TLS anyone who reaches a
/// gateway may do anything, and jobs have no owner (<see cref="Open"/>).
/// </summary>
public sealed class JobOwnership
{
    /// <summary>How long a proof is accepted: it only travels inside a TLS connection, but is never kept.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromMinutes(5);

    private readonly X509Certificate2? _ca;
    private readonly HashSet<string> _operators;

    private JobOwnership(bool enforced, X509Certificate2? ca, IEnumerable<string> operators) =>
        (Enforced, _ca, _operators) = (enforced, ca, operators.ToHashSet(StringComparer.OrdinalIgnoreCase));

    /// <summary>How many operators' certificates this silo enforces (the list it read when it started).</summary>
    public int OperatorCount => _operators.Count;

    /// <summary>No TLS: no owners.</summary>
    public static JobOwnership Open { get; } = new(false, null, []);

    /// <summary>Mutual TLS with this CA (null: the system's trusted roots) and these operators' fingerprints.</summary>
    public static JobOwnership Enforce(X509Certificate2? ca, IEnumerable<string> operators) => new(true, ca, operators);

    public bool Enforced { get; }

    /// <summary>The fingerprint of the certificate that proves it asks for this action on this job; null on an open cluster.</summary>
    public string? Caller(CallerProof? proof, string action, string job)
    {
        if (!Enforced) return null;
        if (proof is null)
            throw new UserInputException($"--job {job}: this cluster runs with mutual TLS and jobs belong to certificates; this trainer sent no proof of its certificate to {action} the job");
        X509Certificate2 certificate;
        try { certificate = X509CertificateLoader.LoadCertificate(proof.Certificate); }
        catch (CryptographicException) { throw Invalid(job, action, "its certificate cannot be read"); }
        if (proof.Action != action || proof.Job != job) throw Invalid(job, action, $"it was signed to {proof.Action} job {proof.Job}");
        if ((DateTime.UtcNow - proof.SignedUtc).Duration() > Freshness) throw Invalid(job, action, "it was signed more than 5 minutes away from the silo's clock");
        if (!Chains(certificate)) throw Invalid(job, action, "its certificate does not chain to the cluster's CA");
        if (!proof.SignatureHolds(certificate)) throw Invalid(job, action, "the signature is not its certificate's");
        return CallerProof.Fingerprint(certificate);
    }

    /// <summary>Refuses, in one line, a caller that is neither the job's owner nor an operator.</summary>
    public void EnsureMay(CallerProof? proof, string action, string job, string? owner)
    {
        var caller = Caller(proof, action, job);
        if (May(caller, owner)) return;
        throw new UserInputException(
            $"--job {job}: the job belongs to another certificate (SHA-256 {owner![..16]}…), and this one ({caller![..16]}…) is not an operator; " +
            $"only the certificate that started it, or one the silos name in --tls-operators, may {(action == CallerProof.Status ? "see" : action)} it");
    }

    /// <summary>Whether the certificate <paramref name="caller"/> (a fingerprint from <see cref="Caller"/>) may see and act on a job of <paramref name="owner"/>: its owner, an operator, anyone on an open cluster or for a job without an owner.</summary>
    public bool May(string? caller, string? owner) => !Enforced || owner is null || caller == owner || _operators.Contains(caller!);

    private bool Chains(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (_ca is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_ca);
        }
        return chain.Build(certificate);
    }

    private static UserInputException Invalid(string job, string action, string why) =>
        new($"--job {job}: the proof of this trainer's certificate to {action} the job is refused: {why}");
}
