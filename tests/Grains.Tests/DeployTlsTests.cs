using System.Text.Json;
using Trainer.Client;
using Trainer.Grains.Tests.Support;
using YamlDotNet.RepresentationModel;
using static Trainer.Grains.Tests.DeployTests;

namespace Trainer.Grains.Tests;

/// <summary>
/// The deployments run with mutual TLS by default: the Kubernetes base mounts the Secret
/// trainer-tls into the silos and the Job and points their TLS settings at it (the plain overlay
/// has none), the compose file mounts deploy/certs the same way (compose.plain.yaml turns it off),
/// and certificates from deploy/make-certs.sh, given exactly as the compose file gives them, let
/// two silo processes and a trainer train a job.
/// </summary>
public sealed class DeployTlsTests
{
    private const string Mount = "/etc/trainer/tls";

    private static readonly Dictionary<string, string> DownwardApi = new()
    {
        ["metadata.name"] = "silo-abc", ["metadata.namespace"] = "trainer", ["status.podIP"] = "10.0.0.7",
        ["metadata.labels['orleans/serviceId']"] = "trainer", ["metadata.labels['orleans/clusterId']"] = "trainer",
    };

    /// <summary>The folder a container mounts the Secret trainer-tls at.</summary>
    private static string SecretMount(YamlNode podSpec, YamlNode container)
    {
        var volume = Items(podSpec, "volumes").Single(v => Text(v, "secret", "secretName") == "trainer-tls");
        return Text(Items(container, "volumeMounts").Single(m => Text(m, "name") == Text(volume, "name")), "mountPath")!;
    }

    [Fact]
    public void The_kubernetes_base_runs_silos_and_the_job_with_the_secrets_certificates_and_the_plain_overlay_without()
    {
        var documents = Documents(Run("kubectl", "kustomize", "deploy/k8s/base"));
        var siloPod = At(Find(documents, "Deployment", "silo"), "spec", "template", "spec")!;
        var silo = Items(siloPod, "containers").Single();
        var mount = SecretMount(siloPod, silo);
        var options = SiloOptionsOf(silo, DownwardApi); // the silo's own settings code
        Assert.NotNull(options.Tls);
        Assert.Equal($"{mount}/node.pem", options.Tls.CertificateFile);
        Assert.Equal($"{mount}/ca.pem", options.Tls.CaFile);
        Assert.Equal($"{mount}/operators", options.TlsOperatorsFile);

        var jobPod = At(Find(documents, "Job", "train"), "spec", "template", "spec")!;
        var job = Items(jobPod, "containers").Single();
        var jobMount = SecretMount(jobPod, job);
        var args = Items(job, "args").Select(a => ((YamlScalarNode)a).Value!).ToArray();
        var parsed = Cli.Read(["train", .. args[2..]], _ => null);
        Assert.Equal($"{jobMount}/job.pem", parsed.String("--tls-certificate"));
        Assert.Equal($"{jobMount}/ca.pem", parsed.String("--tls-ca"));
        var scaling = Documents(Run("kubectl", "kustomize", "deploy/k8s/overlays/scaling"));
        var scalingJob = Items(Find(scaling, "Job", "train"), "spec", "template", "spec", "containers").Single();
        Assert.Equal($"{jobMount}/job.pem", Cli.Read(["train", .. Items(scalingJob, "args").Select(a => ((YamlScalarNode)a).Value!).Skip(2).ToArray()], _ => null).String("--tls-certificate"));

        var plain = Documents(Run("kubectl", "kustomize", "deploy/k8s/overlays/plain"));
        var plainSilo = Items(Find(plain, "Deployment", "silo"), "spec", "template", "spec", "containers").Single();
        Assert.Null(SiloOptionsOf(plainSilo, DownwardApi).Tls);
        var plainJob = Items(Find(plain, "Job", "train"), "spec", "template", "spec", "containers").Single();
        Assert.Null(Cli.Read(["train", .. Items(plainJob, "args").Select(a => ((YamlScalarNode)a).Value!).Skip(2).ToArray()], _ => null).String("--tls-certificate"));
        Assert.DoesNotContain("trainer-tls", Run("kubectl", "kustomize", "deploy/k8s/overlays/plain"));
    }

    [Fact]
    public async Task Two_silo_processes_and_a_trainer_with_the_compose_files_tls_settings_and_make_certs_certificates_train_a_job()
    {
        var config = Documents(Run("docker-compose", "-f", "deploy/compose.yaml", "config")).Single();
        var services = (YamlMappingNode)At(config, "services")!;
        var siloTls = ((YamlMappingNode)At(services, "silo", "environment")!).Children
            .Select(e => (Name: ((YamlScalarNode)e.Key).Value!, Value: ((YamlScalarNode)e.Value).Value!))
            .Where(e => e.Name.StartsWith("TRAINER_TLS_", StringComparison.Ordinal)).ToList();
        Assert.Equal(["TRAINER_TLS_CA", "TRAINER_TLS_CERTIFICATE", "TRAINER_TLS_OPERATORS"], siloTls.Select(e => e.Name).Order());
        var command = Items(services, "job", "command").Select(a => ((YamlScalarNode)a).Value!).ToArray();
        var jobTls = command.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--tls-", StringComparison.Ordinal)).SelectMany(p => new[] { p.a, command[p.i + 1] }).ToArray();
        Assert.Equal(["--tls-certificate", $"{Mount}/job.pem", "--tls-ca", $"{Mount}/ca.pem"], jobTls);
        foreach (var service in new[] { "silo", "job" }) // both mount the certificate folder there
            Assert.Contains(Items(services, service, "volumes"), v => ((YamlScalarNode)v).Value!.EndsWith($"/deploy/certs:{Mount}:ro"));
        var plain = Documents(Run("docker-compose", "-f", "deploy/compose.yaml", "-f", "deploy/compose.plain.yaml", "config")).Single();
        Assert.All(((YamlMappingNode)At(plain, "services", "silo", "environment")!).Children.Where(e => ((YamlScalarNode)e.Key).Value!.StartsWith("TRAINER_TLS_")),
            e => Assert.Equal("", ((YamlScalarNode)e.Value).Value));
        Assert.DoesNotContain(Items(plain, "services", "job", "command"), a => ((YamlScalarNode)a).Value!.StartsWith("--tls-"));

        var certs = Directory.CreateTempSubdirectory("trainer-compose-tls-").FullName;
        try
        {
            Run("bash", "deploy/make-certs.sh", certs);
            string Local(string path) => path.Replace(Mount, certs);
            var environment = siloTls.ToDictionary(e => e.Name, e => Local(e.Value));
            var ports = ChildProcess.FreePorts(4);
            await using var primary = await ChildProcess.StartSilo(environment, "--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
            await using var second = await ChildProcess.StartSilo(environment, "--cluster", "localhost", "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}",
                "--primary", $"127.0.0.1:{ports[0]}");

            var (output, errors) = (new StringWriter(), new StringWriter());
            var outDir = Path.Combine(certs, "run");
            var code = await Cli.RunAsync(["train", "--cluster", $"localhost:{ports[1]},{ports[3]}", "--hidden", "16", "--epochs", "2", "--out", outDir,
                .. jobTls.Select(Local)], output, errors);
            Assert.True(code == 0, $"{errors}\n{output}");
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "report.json")));
            Assert.Equal(2, report.RootElement.GetProperty("silos").GetInt32());
        }
        finally
        {
            Directory.Delete(certs, recursive: true);
        }
    }

    /// <summary>
    /// make-certs.sh leaves every private key to its owner (600: ca.key and each certificate's PEM),
    /// only the CA certificate and the operators' fingerprints readable by all, and 'add NAME' signs
    /// one more client certificate with the folder's CA ('--operator' adds it to the operators).
    /// </summary>
    [Fact, System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Make_certs_keeps_every_key_to_its_owner_and_adds_client_certificates_to_its_CA()
    {
        var certs = Directory.CreateTempSubdirectory("trainer-make-certs-").FullName;
        try
        {
            Run("bash", "deploy/make-certs.sh", certs);
            const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            const UnixFileMode Public = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            UnixFileMode Mode(string name) => File.GetUnixFileMode(Path.Combine(certs, name));
            foreach (var key in new[] { "ca.key", "node.pem", "job.pem", "operator.pem" }) Assert.True(Mode(key) == OwnerOnly, $"{key}: {Mode(key)}");
            Assert.Equal(Public, Mode("ca.pem"));
            Assert.Equal(Public, Mode("operators"));

            var output = Run("bash", "deploy/make-certs.sh", "add", "carol", certs);
            Assert.Contains($"made {certs}/carol.pem", output);
            Assert.Equal(OwnerOnly, Mode("carol.pem"));
            using var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(certs, "ca.pem"));
            using var carol = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(Path.Combine(certs, "carol.pem"));
            Assert.True(carol.HasPrivateKey);
            Assert.Equal("trainer-carol", carol.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false));
            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain(); // as the silos check it
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            Assert.True(chain.Build(carol));

            Run("bash", "deploy/make-certs.sh", "add", "dave", certs, "--operator");
            using var dave = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(Path.Combine(certs, "dave.pem"));
            var operators = File.ReadAllLines(Path.Combine(certs, "operators"));
            Assert.Equal(2, operators.Length);
            Assert.Equal(Admission.CallerProof.Fingerprint(dave), operators[1].Replace(":", ""));

            var again = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["deploy/make-certs.sh", "add", "carol", certs])
                { WorkingDirectory = Root, RedirectStandardError = true })!;
            var refused = again.StandardError.ReadToEnd();
            again.WaitForExit();
            Assert.Equal(2, again.ExitCode);
            Assert.Equal($"error: {certs}/carol.pem exists; choose another NAME", refused.Trim());
        }
        finally
        {
            Directory.Delete(certs, recursive: true);
        }
    }
}
