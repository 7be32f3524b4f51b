using Trainer.Core.Data;

namespace Trainer.Core.Tests.Data;

public sealed class LibSvmReaderTests
{
    [Fact]
    public void Sparse_rows_become_dense_with_one_based_indices_and_plus_minus_one_labels()
    {
        using var folder = new TestData.TempFolder();
        var data = LibSvmReader.Read(folder.File("a.svm", "+1 1:0.5 3:2 # comment\n-1 2:1\n"), new LabelRule(true, 2));
        Assert.Equal((2, 3), (data.Count, data.Features));
        Assert.Equal([0.5f, 0f, 2f, 0f, 1f, 0f], data.X);
        Assert.Equal([1f, 0f], data.Y);
    }

    [Fact]
    public void Features_option_widens_the_rows()
    {
        using var folder = new TestData.TempFolder();
        Assert.Equal(5, LibSvmReader.Read(folder.File("a.svm", "0 1:1\n1 2:1\n"), new LabelRule(true), features: 5).Features);
    }

    [Theory]
    [InlineData("1 0:1\n", null, "line 1: feature index 0 is out of range: LibSVM indices start at 1")]
    [InlineData("1 1:1\n0 7:2\n", 5, "line 2: feature index 7 is beyond --features 5")]
    [InlineData("1 1:x\n", null, "line 1: value in '1:x' is not a number")]
    [InlineData("1 12\n", null, "line 1: '12' is not of the form index:value")]
    [InlineData("1 1:nan\n", null, "line 1: feature 1 has the non-finite value nan")]
    [InlineData("\n\n", null, "the file is empty (no data lines)")]
    public void Bad_lines_are_reported_with_their_number(string content, int? features, string message)
    {
        using var folder = new TestData.TempFolder();
        var path = folder.File("a.svm", content);
        var error = Assert.Throws<UserInputException>(() => LibSvmReader.Read(path, new LabelRule(true), features));
        Assert.Equal($"{path}{(message.StartsWith("line") ? ", " : ": ")}{message}", error.Message);
    }
}
