using Microsoft.Extensions.Configuration;
using Trainer.Grains.Admission;
using Trainer.Silo;

namespace Trainer.Grains.Tests;

/// <summary>The silo's data roots, limits and operators as settings, and the admission ledger's arithmetic.</summary>
public sealed class SiloPolicyOptionsTests
{
    private static SiloOptions Read(string[] args, Func<string, string?>? environment = null)
    {
        var (commandLine, _) = SiloCommandLine.Parse(args, TextWriter.Null);
        var configuration = new ConfigurationBuilder().AddSiloSettings(commandLine, environment ?? (_ => null)).Build();
        return SiloOptions.From(SiloSettings.Read(configuration), _ => null);
    }

    [Fact]
    public void Data_roots_repeat_on_the_command_line_and_are_a_colon_list_in_the_environment()
    {
        var (a, b) = (Directory.CreateTempSubdirectory("trainer-root-a-").FullName, Directory.CreateTempSubdirectory("trainer-root-b-").FullName);
        try
        {
            Assert.Equal([a, b], Read(["--data-root", a, "--data-root", b]).DataRoots);
            Assert.Equal([a, b], Read([], name => name == "TRAINER_DATA_ROOT" ? $"{a}:{b}" : null).DataRoots);
            Assert.Empty(Read([]).DataRoots);
        }
        finally
        {
            Directory.Delete(a);
            Directory.Delete(b);
        }
    }

    [Theory]
    [InlineData("64MB", 64L << 20)]
    [InlineData("1.5 GiB", 3L << 29)]
    [InlineData("2g", 2L << 30)]
    [InlineData("1048576", 1L << 20)]
    public void A_memory_limit_is_a_size_in_binary_units(string text, long bytes) =>
        Assert.Equal(bytes, Read(["--memory-limit", text]).MemoryLimit);

    [Fact]
    public void Operators_are_sha256_fingerprints_with_or_without_colons()
    {
        var hex = new string('a', 64);
        var tls = new[] { "--tls-certificate", "node.pem" };
        var colons = string.Join(':', Enumerable.Range(0, 32).Select(_ => "AA"));
        Assert.Equal([hex.ToUpperInvariant(), hex.ToUpperInvariant()], Read([.. tls, "--tls-operators", $"{hex},{colons}"]).TlsOperators);
        var error = Assert.Throws<SiloOptionsException>(() => Read([.. tls, "--tls-operators", "CN=alice"]));
        Assert.Equal("--tls-operators 'CN=alice' is not a SHA-256 fingerprint (64 hex digits, as 'openssl x509 -noout -fingerprint -sha256 -in CERT' prints)", error.Message);
        Assert.Equal("/etc/trainer/tls/operators", Read([.. tls, "--tls-operators", "/etc/trainer/tls/operators"]).TlsOperatorsFile);
    }

    [Fact]
    public void The_ledger_refuses_a_new_job_on_a_full_silo_and_a_reservation_past_the_limit_and_frees_what_leaves()
    {
        var admission = new SiloAdmission(memoryLimit: 100 << 20, maxJobs: 1);
        admission.Join("a", "a/0", "S1");
        admission.Reserve("a", "a/0", "S1", 60 << 20);
        admission.Join("a", "a/1", "S1"); // the same job: no new place
        var full = Assert.Throws<SiloFullException>(() => admission.Join("b", "b/0", "S1"));
        Assert.Equal("silo S1 is full: it runs 1 job (a), its --max-jobs 1", full.Message);
        var tooBig = Assert.Throws<Trainer.Core.UserInputException>(() => admission.Reserve("a", "a/1", "S1", 50 << 20));
        Assert.StartsWith("job a needs about 50.0 MB more on silo S1, whose --memory-limit 100.0 MB has 40.0 MB left", tooBig.Message);
        Assert.True(admission.Available() <= 40 << 20);

        admission.Leave("a", "a/0");
        admission.Leave("a", "a/1");
        Assert.Empty(admission.Jobs);
        admission.Join("b", "b/0", "S1");
        admission.Reserve("b", "b/0", "S1", 90 << 20);
    }
}
