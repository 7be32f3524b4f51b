using Trainer.Core.Data;
using Trainer.Core.Random;

namespace Trainer.Core.Tests;

/// <summary>Small data the tests make: seeded, so every run sees the same numbers.</summary>
internal static class TestData
{
    public static Dataset Random(int rows, int features, int classes, ulong seed = 1)
    {
        var rng = new Rng(seed);
        var x = new float[rows * features];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var y = new float[rows];
        for (var i = 0; i < rows; i++) y[i] = classes == 0 ? (float)rng.NextGaussian() : rng.NextInt(classes);
        return new Dataset("random", rows, features, x, y, classes);
    }

    /// <summary>A fresh temporary folder, removed when disposed.</summary>
    public sealed class TempFolder : IDisposable
    {
        public TempFolder() => Directory.CreateDirectory(Path);
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "trainer-tests-" + Guid.NewGuid().ToString("N")[..8]);
        public string File(string name, string content) { var p = System.IO.Path.Combine(Path, name); System.IO.File.WriteAllText(p, content); return p; }
        public string File(string name, byte[] content) { var p = System.IO.Path.Combine(Path, name); System.IO.File.WriteAllBytes(p, content); return p; }
        public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
    }
}
