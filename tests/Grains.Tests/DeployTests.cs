using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Trainer.Client;
using Trainer.Client.Commands.Train;
using Trainer.Client.Commands;
using Trainer.Silo;
using YamlDotNet.RepresentationModel;

namespace Trainer.Grains.Tests;

/// <summary>
/// deploy/: the Kubernetes manifests (rendered by kubectl kustomize), the compose file (checked by
/// docker-compose config) and the Dockerfile (with deploy/build-image.sh, which builds it without a
/// registry), each held against what the silo and the trainer actually read and serve.
/// </summary>
public sealed class DeployTests
{
    internal static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Distributed.sln"))) return dir.FullName;
        throw new InvalidOperationException("the repository root (Distributed.sln) is not above the test binaries");
    }

    internal static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception) { throw new InvalidOperationException($"{file} is not installed (.ci/run installs it)"); }
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {errors.Result}");
        return output.Result;
    }

    internal static List<YamlMappingNode> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    internal static YamlNode? At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next)) return null;
            node = next;
        }
        return node;
    }

    internal static string? Text(YamlNode node, params string[] path) => (At(node, path) as YamlScalarNode)?.Value;
    internal static IEnumerable<YamlNode> Items(YamlNode node, params string[] path) => (At(node, path) as YamlSequenceNode)?.Children ?? [];

    internal static YamlMappingNode Find(List<YamlMappingNode> documents, string kind, string name) =>
        documents.Single(d => Text(d, "kind") == kind && Text(d, "metadata", "name") == name);

    /// <summary>The silo's settings as the container's environment gives them, read by the silo's own code.</summary>
    internal static SiloOptions SiloOptionsOf(YamlNode container, Dictionary<string, string> downwardApi)
    {
        var environment = new Dictionary<string, string>();
        foreach (var variable in Items(container, "env"))
        {
            var name = Text(variable, "name")!;
            environment[name] = Text(variable, "valueFrom", "fieldRef", "fieldPath") is { } field ? downwardApi[field] : Text(variable, "value")!;
        }
        var configuration = new ConfigurationBuilder().AddSiloSettings(new Dictionary<string, string?>(), name => environment.GetValueOrDefault(name)).Build();
        return SiloOptions.From(SiloSettings.Read(configuration), name => environment.GetValueOrDefault(name));
    }

    private static int PortNamed(YamlNode container, string name) =>
        int.Parse(Text(Items(container, "ports").Single(p => Text(p, "name") == name), "containerPort")!);

    [Fact]
    public void The_kubernetes_silo_reads_the_ports_ids_and_probes_its_manifest_declares()
    {
        var documents = Documents(Run("kubectl", "kustomize", "deploy/k8s/base"));
        var silo = Find(documents, "Deployment", "silo");
        var pod = At(silo, "spec", "template")!;
        var container = Items(pod, "spec", "containers").Single();
        var labels = (YamlMappingNode)At(pod, "metadata", "labels")!;
        var downwardApi = new Dictionary<string, string>
        {
            ["metadata.name"] = "silo-abc", ["metadata.namespace"] = "trainer", ["status.podIP"] = "10.0.0.7",
            ["metadata.labels['orleans/serviceId']"] = Text(labels, "orleans/serviceId")!,
            ["metadata.labels['orleans/clusterId']"] = Text(labels, "orleans/clusterId")!,
        };
        var envNames = Items(container, "env").Select(e => Text(e, "name")).ToHashSet();
        Assert.Superset(new HashSet<string?> { SiloOptions.PodName, SiloOptions.PodNamespace, SiloOptions.PodIp, SiloOptions.OrleansServiceId, SiloOptions.OrleansClusterId }, envNames);

        var options = SiloOptionsOf(container, downwardApi);

        Assert.Equal("10.0.0.7", options.Advertise.ToString());
        Assert.Equal("silo-abc", options.SiloName);
        Assert.Equal((Text(labels, "orleans/serviceId"), Text(labels, "orleans/clusterId")), (options.ServiceId, options.ClusterId));
        Assert.Equal(PortNamed(container, "silo"), options.SiloPort);
        Assert.Equal(PortNamed(container, "gateway"), options.GatewayPort);
        Assert.Equal(PortNamed(container, "health"), options.HealthPort);
        Assert.Equal(HealthEndpoint.ReadyPath, Text(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal(HealthEndpoint.LivePath, Text(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("health", Text(container, "readinessProbe", "httpGet", "port"));

        // membership: the Redis the silo is given is the Redis the manifests run
        var redis = Find(documents, "Service", "redis");
        Assert.Equal($"redis://redis:{Text(Items(redis, "spec", "ports").Single(), "port")}", options.Cluster);

        // the grace period covers the drain delay and the silo's own shutdown timeout
        var grace = int.Parse(Text(pod, "spec", "terminationGracePeriodSeconds")!);
        Assert.True(grace > (options.DrainDelay + SiloHosting.ShutdownTimeout).TotalSeconds, $"terminationGracePeriodSeconds {grace}");

        // Prometheus scrapes /metrics over HTTPS on the metrics port, which listens on the pod's every address (it is loopback by default)
        Assert.Equal(PortNamed(container, "metrics"), options.MetricsPort);
        Assert.Equal(System.Net.IPAddress.Any, options.MetricsAddress);
        Assert.NotEqual(options.HealthPort, options.MetricsPort);
        Assert.Equal("true", Text(pod, "metadata", "annotations", "prometheus.io/scrape"));
        Assert.Equal(options.MetricsPort, int.Parse(Text(pod, "metadata", "annotations", "prometheus.io/port")!));
        Assert.Equal(Trainer.Grains.Hosting.PrometheusMetrics.Path, Text(pod, "metadata", "annotations", "prometheus.io/path"));
        Assert.Equal(options.Tls is null ? "http" : "https", Text(pod, "metadata", "annotations", "prometheus.io/scheme"));

        // network policy: silo and gateway ports from the application's own pods only; the metrics port only from the namespace monitoring;
        // the health port from no pod (the kubelet's probes come from the node, which policies let through)
        var policy = Find(documents, "NetworkPolicy", "silo");
        var rules = Items(policy, "spec", "ingress").ToList();
        Assert.Equal(2, rules.Count);
        var rule = rules.Single(r => Items(r, "ports").Any(p => Text(p, "port") == $"{options.SiloPort}"));
        var scrape = rules.Single(r => r != rule);
        Assert.Equal(new[] { options.MetricsPort }, Items(scrape, "ports").Select(p => (int?)int.Parse(Text(p, "port")!)));
        var monitoring = Assert.Single(Items(scrape, "from"));
        Assert.Null(At(monitoring, "podSelector"));
        Assert.Equal("monitoring", Text(monitoring, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
        Assert.DoesNotContain(rules.SelectMany(r => Items(r, "ports")), p => Text(p, "port") == $"{options.HealthPort}");
        Assert.Equal(new[] { options.SiloPort, options.GatewayPort }, Items(rule, "ports").Select(p => int.Parse(Text(p, "port")!)).Order());
        Assert.Contains(Items(rule, "from"), f => Text(f, "podSelector", "matchLabels", "app.kubernetes.io/name") == "silo");
        Assert.All(Items(rule, "from"), f => Assert.Null(At(f, "namespaceSelector")));
        Assert.Equal("silo", Text(Find(documents, "PodDisruptionBudget", "silo"), "spec", "selector", "matchLabels", "app.kubernetes.io/name"));
        Assert.Equal("false", Text(Find(documents, "ServiceAccount", "trainer"), "automountServiceAccountToken"));
        Assert.Equal("trainer", Text(pod, "spec", "serviceAccountName"));
    }

    [Fact]
    public void The_plain_overlay_scrapes_the_metrics_port_over_http_and_keeps_the_monitoring_only_policy()
    {
        var documents = Documents(Run("kubectl", "kustomize", "deploy/k8s/overlays/plain"));
        var pod = At(Find(documents, "Deployment", "silo"), "spec", "template")!;
        var options = SiloOptionsOf(Items(pod, "spec", "containers").Single(), new()
        {
            ["metadata.name"] = "silo-abc", ["metadata.namespace"] = "trainer", ["status.podIP"] = "10.0.0.7",
            ["metadata.labels['orleans/serviceId']"] = "trainer", ["metadata.labels['orleans/clusterId']"] = "trainer",
        });
        Assert.Null(options.Tls);
        Assert.Equal("http", Text(pod, "metadata", "annotations", "prometheus.io/scheme"));
        var scrape = Items(Find(documents, "NetworkPolicy", "silo"), "spec", "ingress").Single(r => Items(r, "ports").Any(p => Text(p, "port") == $"{options.MetricsPort}"));
        Assert.Equal("monitoring", Text(Items(scrape, "from").Single(), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
    }

    [Theory]
    [InlineData("deploy/k8s/base", 3)]
    [InlineData("deploy/k8s/overlays/scaling", 8)]
    public void The_training_job_is_a_valid_trainer_command_against_the_manifests_silos(string kustomization, int silos)
    {
        var documents = Documents(Run("kubectl", "kustomize", kustomization));
        Assert.Equal(silos, int.Parse(Text(Find(documents, "Deployment", "silo"), "spec", "replicas")!));
        var job = Find(documents, "Job", "train");
        var container = Items(job, "spec", "template", "spec", "containers").Single();
        var args = Items(container, "args").Select(a => ((YamlScalarNode)a).Value!).ToArray();
        Assert.Equal(["trainer", "train"], args[..2]);

        var parsed = Cli.Read(["train", .. args[2..]], _ => null); // the trainer's own parsing: throws on an option train does not have
        Assert.Equal("redis://redis:6379", parsed.String("--cluster"));
        var jobLabels = (YamlMappingNode)At(job, "spec", "template", "metadata", "labels")!;
        var siloLabels = (YamlMappingNode)At(Find(documents, "Deployment", "silo"), "spec", "template", "metadata", "labels")!;
        Assert.Equal(Text(siloLabels, "orleans/clusterId"), Text(jobLabels, "orleans/clusterId"));
        Assert.Contains(Items(container, "env"), e => Text(e, "name") == SiloOptions.OrleansClusterId);
        Assert.Contains(Items(Find(documents, "NetworkPolicy", "silo"), "spec", "ingress").First()["from"].AllNodes.OfType<YamlScalarNode>(),
            n => n.Value == Text(jobLabels, "app.kubernetes.io/name"));
    }

    [Fact]
    public void The_compose_file_is_valid_and_its_job_and_silos_share_one_redis()
    {
        var config = Documents(Run("docker-compose", "-f", "deploy/compose.yaml", "config")).Single();
        var services = (YamlMappingNode)At(config, "services")!;
        Assert.Equal(["job", "redis", "silo"], services.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order());
        Assert.Equal("redis://redis:6379", Text(services, "silo", "environment", "TRAINER_CLUSTER"));
        // a Prometheus on the compose network reaches the metrics port (loopback unless told otherwise)
        Assert.Equal(("9464", "0.0.0.0"), (Text(services, "silo", "environment", "TRAINER_METRICS_PORT"), Text(services, "silo", "environment", "TRAINER_METRICS_ADDRESS")));
        Assert.Equal("deploy/docker/Dockerfile", Text(services, "silo", "build", "dockerfile"));
        var command = Items(services, "job", "command").Select(a => ((YamlScalarNode)a).Value!).ToArray();
        Assert.Equal("train", command[0]);
        Assert.Equal("redis://redis:6379", Cli.Read(command, _ => null).String("--cluster"));
    }

    [Fact]
    public void The_dockerfile_builds_both_entry_points_from_the_solution_and_runs_as_a_user()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(Root, "deploy/docker/Dockerfile"));
        foreach (var copied in dockerfile.Where(l => l.StartsWith("COPY ") && !l.Contains("--from")).SelectMany(l => l.Split(' ')[1..^1]))
            Assert.True(File.Exists(Path.Combine(Root, copied)) || Directory.Exists(Path.Combine(Root, copied)), $"COPY {copied}: not in the repository");
        var text = string.Join('\n', dockerfile);
        Assert.Contains($"/app/silo/{typeof(SiloHosting).Assembly.GetName().Name} /usr/local/bin/silo", text);
        Assert.Contains($"/app/trainer/{typeof(TrainCommand).Assembly.GetName().Name} /usr/local/bin/trainer", text);
        var user = dockerfile.Last(l => l.StartsWith("USER ")).Split(' ')[1];
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        Assert.Contains("ARG WITH_OPENBLAS", text);
        Assert.Contains("ARG WITH_FASHION_MNIST", text);
    }

    [Fact]
    public void Every_base_image_is_a_build_argument_with_a_registry_default_that_the_offline_build_script_sets()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(Root, "deploy/docker/Dockerfile"));
        var firstFrom = Array.FindIndex(dockerfile, l => l.StartsWith("FROM "));
        var globalArgs = dockerfile[..firstFrom].Where(l => l.StartsWith("ARG ")).Select(l => l[4..].Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : "");
        var froms = dockerfile.Where(l => l.StartsWith("FROM ")).Select(l => l.Split(' ')[1]).ToList();
        Assert.Equal(2, froms.Count);
        var bases = froms.Select(image =>
        {
            Assert.Matches(@"^\$\{[A-Z_]+\}$", image); // the whole image is one argument, so any local image can stand in
            return image[2..^1];
        }).ToList();
        foreach (var name in bases)
        {
            Assert.True(globalArgs.TryGetValue(name, out var registryDefault), $"FROM ${{{name}}}: no ARG {name} before the first FROM");
            Assert.NotEqual("", registryDefault); // a plain `docker build` pulls the registry image
            Assert.DoesNotContain("localhost/", registryDefault);
        }

        var script = File.ReadAllText(Path.Combine(Root, "deploy/build-image.sh"));
        var passed = System.Text.RegularExpressions.Regex.Matches(script, @"--build-arg ([A-Z_]+)=").Select(m => m.Groups[1].Value).ToHashSet();
        var declared = dockerfile.Where(l => l.StartsWith("ARG ")).Select(l => l[4..].Split('=')[0]).ToHashSet();
        Assert.Superset(bases.ToHashSet(), passed);
        Assert.Subset(declared, passed);
        Assert.Contains("-f \"$root/deploy/docker/Dockerfile\"", script);
        Assert.Contains("--isolation chroot", script);
    }
}
