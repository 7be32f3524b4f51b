using System.IO.Compression;
using Trainer.Core.Data;

namespace Trainer.Core.Tests.Data;

public sealed class CsvReaderTests
{
    private static readonly LabelRule Classes = new(true);

    [Fact]
    public void Reads_features_and_the_last_column_as_label()
    {
        using var folder = new TestData.TempFolder();
        var data = CsvReader.Read(folder.File("a.csv", "x1,x2,label\n1,2,0\n3.5,-4e1,2\n\n"), Classes);
        Assert.Equal((2, 2, 3), (data.Count, data.Features, data.Classes));
        Assert.Equal([1f, 2f, 3.5f, -40f], data.X);
        Assert.Equal([0f, 2f], data.Y);
    }

    [Fact]
    public void Label_column_can_be_named_and_gzip_is_read_transparently()
    {
        using var folder = new TestData.TempFolder();
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write("y,a,b\n1,5,6\n0,7,8\n"u8);
        var data = CsvReader.Read(folder.File("a.csv.gz", buffer.ToArray()), Classes, labelColumn: "y");
        Assert.Equal([5f, 6f, 7f, 8f], data.X);
        Assert.Equal([1f, 0f], data.Y);
    }

    [Fact]
    public void Minus_one_plus_one_labels_become_zero_one()
    {
        using var folder = new TestData.TempFolder();
        var data = CsvReader.Read(folder.File("a.csv", "a,y\n1,-1\n2,1\n"), new LabelRule(true, 2));
        Assert.Equal([0f, 1f], data.Y);
        Assert.Equal(2, data.Classes);
    }

    [Theory]
    [InlineData("", "a.csv: the file is empty")]
    [InlineData("a,b,y\n", "a.csv: the file has a header but no data rows")]
    [InlineData("a,b,y\n1,2,0\n1,2\n", "a.csv, line 3: expected 3 columns, found 2")]
    [InlineData("a,b,y\n1,x2,0\n", "a.csv, line 2, column 2 ('b'): 'x2' is not a number")]
    [InlineData("a,b,y\n1,NaN,0\n", "a.csv, line 2, column 2 ('b'): NaN is not a finite value")]
    [InlineData("a,b,y\n1,inf,0\n", "a.csv, line 2, column 2 ('b'): inf is not a finite value")]
    [InlineData("a,b,y\n1,2,0\n1,2,-3\n", "a.csv, line 3: label -3 is out of range: expected class indices 0, 1, 2, …")]
    [InlineData("a,b,y\n1,2,0.5\n", "a.csv, line 2: label 0.5 is out of range")]
    public void Bad_files_are_reported_with_file_line_and_column(string content, string message)
    {
        using var folder = new TestData.TempFolder();
        var path = folder.File("a.csv", content);
        var error = Assert.Throws<UserInputException>(() => CsvReader.Read(path, Classes));
        Assert.StartsWith(path.Replace("a.csv", "") + message, error.Message);
    }

    [Fact]
    public void A_label_beyond_a_binary_models_classes_names_the_model_and_line()
    {
        using var folder = new TestData.TempFolder();
        var path = folder.File("a.csv", "a,y\n1,0\n2,1\n3,2\n");
        var error = Assert.Throws<UserInputException>(() => CsvReader.Read(path, new LabelRule(true, 2, "logreg")));
        Assert.Equal($"{path}, line 4: label 2 is out of range: expected 0/1 (or −1/+1) for logreg", error.Message);
    }

    [Fact]
    public void Regression_labels_may_be_any_finite_number()
    {
        using var folder = new TestData.TempFolder();
        var data = CsvReader.Read(folder.File("a.csv", "a,y\n1,151.5\n2,-3\n"), LabelRule.Regression);
        Assert.Equal([151.5f, -3f], data.Y);
        Assert.True(data.IsRegression);
    }

    [Fact]
    public void Class_names_become_classes_in_sorted_order_and_are_kept()
    {
        using var folder = new TestData.TempFolder();
        var data = CsvReader.Read(folder.File("a.csv", "x,species\n1,virginica\n2,setosa\n3,\"versicolor\"\n4,setosa\n"), Classes);
        Assert.Equal(["setosa", "versicolor", "virginica"], data.ClassNames!);
        Assert.Equal([2f, 0f, 1f, 0f], data.Y);
        Assert.Equal(3, data.Classes);
        Assert.Equal(["setosa", "versicolor", "virginica"], data.Subset([1, 0]).ClassNames!);
    }

    [Fact]
    public void Held_out_data_maps_its_names_with_the_training_datas_and_refuses_a_name_it_never_saw()
    {
        using var folder = new TestData.TempFolder();
        string[] names = ["setosa", "versicolor", "virginica"];
        var test = CsvReader.Read(folder.File("t.csv", "x,y\n1,virginica\n"), new LabelRule(true, 3), classNames: names);
        Assert.Equal([2f], test.Y);
        Assert.Equal(3, test.Classes);
        var path = folder.File("u.csv", "x,y\n1,setosa\n2,iris-x\n");
        var error = Assert.Throws<UserInputException>(() => CsvReader.Read(path, new LabelRule(true, 3), classNames: names));
        Assert.Equal($"{path}, line 3, column 2 ('y'): class 'iris-x' is not one of the model's classes (setosa, versicolor, virginica)", error.Message);
    }

    [Fact]
    public void A_regression_target_of_names_and_too_many_names_for_a_binary_model_are_errors()
    {
        using var folder = new TestData.TempFolder();
        var path = folder.File("a.csv", "x,y\n1,2.5\n2,high\n");
        var error = Assert.Throws<UserInputException>(() => CsvReader.Read(path, LabelRule.Regression with { ModelName = "linreg" }));
        Assert.Equal($"{path}, line 3, column 2 ('y'): label 'high' is not a number; a regression target for linreg must be numeric", error.Message);

        var three = folder.File("b.csv", "x,y\n1,a\n2,b\n3,c\n");
        error = Assert.Throws<UserInputException>(() => CsvReader.Read(three, new LabelRule(true, 2, "logreg")));
        Assert.Equal($"{three}: column 'y' has 3 class names (a, b, c); 0/1 (or −1/+1) for logreg takes 2", error.Message);
    }

    [Fact]
    public void Semicolon_files_with_decimal_commas_and_tab_files_are_read()
    {
        using var folder = new TestData.TempFolder();
        var semicolon = CsvReader.Read(folder.File("a.csv", "a;b;y\n1,5;-2;0\n3;4,25;1\n"), Classes, delimiter: ';');
        Assert.Equal([1.5f, -2f, 3f, 4.25f], semicolon.X);
        var tab = CsvReader.Read(folder.File("a.tsv", "a\tb\ty\n1.5\t2\tcat\n3\t4\tdog\n"), Classes);
        Assert.Equal([1.5f, 2f, 3f, 4f], tab.X);
        Assert.Equal(["cat", "dog"], tab.ClassNames!);
    }

    [Fact]
    public void A_comma_file_read_with_the_default_delimiter_says_how_to_read_other_delimiters()
    {
        using var folder = new TestData.TempFolder();
        var path = folder.File("a.csv", "a;b;y\n1;2;0\n");
        var error = Assert.Throws<UserInputException>(() => CsvReader.Read(path, Classes));
        Assert.Equal($"{path}, line 1: the header names 1 column; need at least one feature and a label (for ; or tab files give --delimiter)", error.Message);
    }
}
