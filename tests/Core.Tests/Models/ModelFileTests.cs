using Trainer.Core.Data;
using Trainer.Core.Models;

namespace Trainer.Core.Tests.Models;

public sealed class ModelFileTests
{
    private static ModelFile Sample()
    {
        var spec = new ModelSpec("mlp", 3, 4, [5], "tanh");
        return new ModelFile(spec, new Preprocessor(Preprocessor.Standardise, [1f, 2f, 3f], [1f, 1f, 2f]),
            new DataOrigin("digits", null, 42, 0.2), new Network(spec).Initialise(1));
    }

    [Fact]
    public void A_saved_model_reads_back_identically()
    {
        using var folder = new TestData.TempFolder();
        var original = Sample();
        var read = ModelFile.Read(folder.File("m.json", original.ToBytes()));
        Assert.Equal(original.Spec, read.Spec);
        Assert.Equal(original.Weights, read.Weights);
        Assert.Equal(original.Preprocessor.Mean, read.Preprocessor.Mean);
        Assert.Equal(original.Origin, read.Origin);
    }

    [Fact]
    public void A_convolutional_model_reads_back_with_its_shape_layers_pooling_and_dropout()
    {
        using var folder = new TestData.TempFolder();
        var spec = new ModelSpec(ModelSpec.Cnn, 2 * 9 * 9, 3, [], "tanh") { InputShape = [2, 9, 9], Layers = "conv3x3x4p1,avgpool2,dense8", Pool = "avg", Dropout = 0.25 };
        var original = new ModelFile(spec, Preprocessor.Identity, new DataOrigin("images", null, 42, 0), new Network(spec).Initialise(1));
        var read = ModelFile.Read(folder.File("m.json", original.ToBytes()));
        Assert.Equal(original.Spec, read.Spec);
        Assert.NotEqual(original.Spec, read.Spec with { Pool = "max" });
        Assert.Equal(original.Weights, read.Weights);
        Assert.Equal(new Network(spec).Tensors, new Network(read.Spec).Tensors);
    }

    [Fact]
    public void Damaged_weights_are_detected_by_their_hash()
    {
        using var folder = new TestData.TempFolder();
        var text = System.Text.Encoding.UTF8.GetString(Sample().ToBytes());
        var start = text.IndexOf("\"weights\": \"", StringComparison.Ordinal) + 12;
        var damaged = text[..start] + (text[start] == 'A' ? 'B' : 'A') + text[(start + 1)..];
        var path = folder.File("m.json", damaged);
        Assert.Equal($"{path}: the weights are damaged (SHA-256 does not match)", Assert.Throws<UserInputException>(() => ModelFile.Read(path)).Message);
    }

    [Theory]
    [InlineData("not json", "not a model file (bad JSON at line 1)")]
    [InlineData("{\"format\":\"other\"}", "not a model file of this product (format 'other')")]
    [InlineData("{\"format\":\"trainer-model\",\"version\":99}", "model file version 99; this trainer reads version 1")]
    public void Files_that_are_not_our_models_are_refused(string content, string message)
    {
        using var folder = new TestData.TempFolder();
        var path = folder.File("m.json", content);
        Assert.Equal($"{path}: {message}", Assert.Throws<UserInputException>(() => ModelFile.Read(path)).Message);
    }

    private static string[] Labels(string data, int classes, string? labelColumn = null, string[]? names = null)
    {
        var spec = new ModelSpec(ModelSpec.Softmax, 4, classes, []);
        return new ModelFile(spec, Preprocessor.Identity, new DataOrigin(data, labelColumn, 42, 0.2), new float[new Network(spec).ParameterCount], names).ClassLabels;
    }

    [Fact]
    public void Class_labels_are_the_datas_names_or_a_built_in_sets_or_else_the_label_values()
    {
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], Labels("fashion-mnist", 10));
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], Labels("digits", 10));
        Assert.Equal(["setosa", "versicolor", "virginica"], Labels("iris.csv", 3, names: ["setosa", "versicolor", "virginica"]));
        Assert.Equal(["0", "1", "2"], Labels("numbers.csv", 3)); // numeric labels keep their values
        Assert.Equal(["0", "1", "2"], Labels("digits", 3, labelColumn: "pixel_0_3")); // another column's classes are not digits
        var regression = new ModelSpec(ModelSpec.LinearRegression, 4, 0, []);
        Assert.Empty(new ModelFile(regression, Preprocessor.Identity, new DataOrigin("diabetes", null, 42, 0.2), new float[new Network(regression).ParameterCount]).ClassLabels);
    }
}
