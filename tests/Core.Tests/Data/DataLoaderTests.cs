using Trainer.Core.Data;

namespace Trainer.Core.Tests.Data;

public sealed class DataLoaderTests
{
    [Theory]
    [InlineData("digits", 1797, 64, 10)]
    [InlineData("breast-cancer", 569, 30, 2)]
    [InlineData("diabetes", 442, 10, 0)]
    public void Built_in_tables_are_embedded_in_the_product(string name, int rows, int features, int classes)
    {
        var rule = classes == 0 ? LabelRule.Regression : new LabelRule(true);
        var (data, test, pixels) = DataLoader.ReadSource(name, rule, null, null);
        Assert.Equal((rows, features, classes), (data.Count, data.Features, data.Classes));
        Assert.Null(test);
        Assert.False(pixels);
    }

    [Fact]
    public void Splits_are_stratified_seeded_and_disjoint()
    {
        var prepared = DataLoader.Prepare(new DataSpec("digits", ValFraction: 0.1, TestFraction: 0.2, Seed: 3), new LabelRule(true));
        Assert.Equal(1797, prepared.Train.Count + prepared.Validation!.Count + prepared.Test!.Count);
        Assert.InRange(prepared.Test.Count, 355, 365);
        // each class keeps its share in the test part (stratified)
        foreach (var group in prepared.Test.Y.GroupBy(y => y))
            Assert.InRange(group.Count(), 33, 40);
        var again = DataLoader.Prepare(new DataSpec("digits", ValFraction: 0.1, TestFraction: 0.2, Seed: 3), new LabelRule(true));
        Assert.Equal(prepared.Test.X, again.Test!.X);
        var other = DataLoader.Prepare(new DataSpec("digits", ValFraction: 0.1, TestFraction: 0.2, Seed: 4), new LabelRule(true));
        Assert.NotEqual(prepared.Test.X, other.Test!.X);
    }

    [Fact]
    public void Standardisation_is_fitted_on_the_training_part_only()
    {
        var prepared = DataLoader.Prepare(new DataSpec("breast-cancer", Seed: 1), new LabelRule(true, 2));
        Assert.Equal(Preprocessor.Standardise, prepared.Preprocessor.Kind);
        for (var j = 0; j < prepared.Features; j++)
        {
            var column = Enumerable.Range(0, prepared.Train.Count).Select(i => (double)prepared.Train.X[i * prepared.Features + j]).ToArray();
            Assert.Equal(0, column.Average(), 1e-4);
            Assert.Equal(1, Math.Sqrt(column.Select(v => v * v).Average()), 1e-3);
        }
        var testMean = Enumerable.Range(0, prepared.Test!.Count).Average(i => prepared.Test.X[i * prepared.Features]);
        Assert.NotEqual(0, testMean, 1e-3);
    }

    [Fact]
    public void Val_fraction_zero_turns_validation_off()
    {
        var prepared = DataLoader.Prepare(new DataSpec("digits", ValFraction: 0), new LabelRule(true));
        Assert.Null(prepared.Validation);
    }

    [Fact]
    public void Fashion_mnist_missing_says_how_to_get_it()
    {
        using var folder = new TestData.TempFolder();
        var error = Assert.Throws<UserInputException>(() => BuiltInDatasets.LocateFashionMnist([folder.Path]));
        Assert.Contains($"the IDX files were not found in {folder.Path}", error.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message);
        Assert.Contains("TRAINER_DATASETS=FOLDER", error.Message);
    }

    [Fact]
    public void An_idx_folder_brings_its_test_files()
    {
        using var folder = new TestData.TempFolder();
        folder.File("train-images-idx3-ubyte.gz", IdxReaderTests.Gzip(IdxReaderTests.Images(4, 2, 2)));
        folder.File("train-labels-idx1-ubyte", IdxReaderTests.Labels(0, 1, 2, 1));
        folder.File("t10k-images-idx3-ubyte", IdxReaderTests.Images(2, 2, 2));
        folder.File("t10k-labels-idx1-ubyte", IdxReaderTests.Labels(2, 0));
        var prepared = DataLoader.Prepare(new DataSpec(folder.Path, ValFraction: 0), new LabelRule(true));
        Assert.Equal((4, 2, 3), (prepared.Train.Count, prepared.Test!.Count, prepared.Classes));
        Assert.Equal(Preprocessor.None, prepared.Preprocessor.Kind);
    }

    [Theory]
    [InlineData("nothing-here.csv", "nothing-here.csv: no such file")]
    [InlineData("nothing-here", "--data nothing-here: no such file, folder or built-in data set (built-in: digits, breast-cancer, diabetes, fashion-mnist)")]
    public void Unknown_data_is_a_user_error(string data, string message)
    {
        var error = Assert.Throws<UserInputException>(() => DataLoader.Prepare(new DataSpec(data), new LabelRule(true)));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Test_file_with_other_feature_count_is_rejected()
    {
        using var folder = new TestData.TempFolder();
        var train = folder.File("train.csv", "a,b,y\n1,2,0\n3,4,1\n5,6,0\n");
        var test = folder.File("test.csv", "a,y\n1,0\n");
        var error = Assert.Throws<UserInputException>(() => DataLoader.Prepare(new DataSpec(train, Test: test, ValFraction: 0), new LabelRule(true)));
        Assert.Equal($"--test {test}: has 1 features, the training data has 2", error.Message);
    }

    [Fact]
    public void A_label_column_that_names_no_column_is_an_error_for_built_in_tables_too()
    {
        var error = Assert.Throws<UserInputException>(() => DataLoader.Prepare(new DataSpec("breast-cancer", LabelColumn: "diagnosis"), new LabelRule(true, 2)));
        Assert.StartsWith("breast-cancer: --label-column 'diagnosis' is not in the header (mean_radius, mean_texture,", error.Message);
    }

    [Fact]
    public void A_label_column_names_a_column_of_a_built_in_table_when_it_exists()
    {
        var data = DataLoader.Prepare(new DataSpec("diabetes", LabelColumn: "bmi", ValFraction: 0, TestFraction: 0), LabelRule.Regression);
        Assert.Equal(10, data.Features); // the old target is a feature now
        Assert.InRange(data.Train.Y.Average(), 25, 28); // mean body-mass index of the diabetes patients
    }

    [Fact]
    public void Formats_without_columns_refuse_a_label_column()
    {
        using var folder = new TestData.TempFolder();
        var svm = folder.File("a.svm", "1 1:0.5\n0 2:1\n");
        var error = Assert.Throws<UserInputException>(() => DataLoader.Prepare(new DataSpec(svm, LabelColumn: "y"), new LabelRule(true)));
        Assert.Equal($"--label-column 'y': {svm} is a LibSVM file, which has no named columns (its labels are its own)", error.Message);
    }

    [Fact]
    public void A_regression_target_is_standardised_for_the_model_with_statistics_of_the_training_part()
    {
        var data = DataLoader.Prepare(new DataSpec("diabetes", Seed: 1), LabelRule.Regression);
        var y = data.Train.Y.Select(v => (double)v).ToArray();
        var mean = y.Average();
        Assert.Equal(mean, data.Preprocessor.TargetMean!.Value, 1e-3);
        Assert.Equal(Math.Sqrt(y.Select(v => (v - mean) * (v - mean)).Average()), data.Preprocessor.TargetScale!.Value, 1e-3);
        Assert.Null(DataLoader.Prepare(new DataSpec("digits"), new LabelRule(true)).Preprocessor.TargetMean);
    }
}
