using System.Globalization;
using System.Text.RegularExpressions;

namespace Trainer.Core.Models.Layers;

/// <summary>
/// A model specification as layers. The linear models are one dense layer and an MLP adds its hidden
/// ones; <c>lenet</c> is d2l's LeNet-5 and <c>cnn</c> is written in <c>--layers</c>, comma-separated:
/// <list type="bullet">
/// <item><c>convKxKxC</c>: C filters of K × K, stride 1, no padding; <c>s2</c> and <c>p2</c> after it set the stride and padding (<c>conv3x3x16s2p1</c>);</item>
/// <item><c>poolK</c> (the kind <c>--pool</c> says), <c>maxpoolK</c>, <c>avgpoolK</c>: K × K windows, stride K unless <c>sN</c> follows;</item>
/// <item><c>denseN</c>: a fully connected hidden layer of N units (the first flattens its input; <c>flatten</c> may be written but need not).</item>
/// </list>
/// Convolutions and hidden dense layers take the <c>--activation</c>; hidden dense layers take the
/// dropout. The output layer (one unit per class) comes last by itself.
/// </summary>
public static partial class LayerPlan
{
    /// <summary>d2l's LeNet-5 (7.6): padding 2 keeps 28 × 28, then 5 × 5 convolutions and 2 × 2 pools down to 16 × 5 × 5, and 120, 84 units.</summary>
    public const string LeNet = "conv5x5x6p2,pool2,conv5x5x16,pool2,dense120,dense84";

    public static Layer[] Build(ModelSpec spec, int outputs)
    {
        var layers = new List<Layer>();
        var convolutional = spec.IsConvolutional;
        var shape = convolutional ? InputShapeOf(spec) : Shape.Flat(spec.Features);
        var hidden = convolutional ? Parse(spec.Kind == ModelSpec.LeNet ? LeNet : spec.Layers ?? "") : spec.Hidden.Select(h => $"dense{h}").ToArray();
        UserInputException Error(string token, string why) => spec.Kind == ModelSpec.LeNet
            ? new($"--model lenet: {token}: {why} (LeNet takes images of at least 12x12)")
            : LayerPlan.Error(token, why);
        foreach (var token in hidden)
        {
            var name = $"layer{layers.Count + 1}";
            if (Conv().Match(token) is { Success: true } conv)
            {
                if (!shape.IsImage && layers.Count > 0) throw Error(token, "a convolution after a dense layer has no image to convolve");
                var (k, channels, stride, padding) = (Number(conv, 1), Number(conv, 3), Number(conv, 4, 1), Number(conv, 5, 0));
                if (Number(conv, 2) != k) throw Error(token, "kernels are square (KxKxC)");
                if (shape.Height + 2 * padding < k || shape.Width + 2 * padding < k)
                    throw Error(token, $"its input is {shape}, smaller than its {k}x{k} kernel");
                if (padding >= k) throw Error(token, "padding must be smaller than the kernel");
                layers.Add(new ConvLayer(name, shape, channels, k, stride, padding, spec.Activation));
            }
            else if (Pool().Match(token) is { Success: true } pool)
            {
                if (!shape.IsImage) throw Error(token, "pooling after a dense layer has no image to pool");
                var k = Number(pool, 2);
                if (shape.Height < k || shape.Width < k) throw Error(token, $"its input is {shape}, smaller than its {k}x{k} window");
                var kind = pool.Groups[1].Success ? pool.Groups[1].Value : spec.Pool;
                layers.Add(new PoolLayer(name, shape, kind, k, Number(pool, 3, k)));
            }
            else if (Dense().Match(token) is { Success: true } dense)
            {
                layers.Add(new DenseLayer(name, Inputs(shape), Number(dense, 1), spec.Activation, spec.Dropout, layers.Count));
            }
            else continue; // flatten: every dense layer reads its input flat
            shape = layers[^1].Output;
        }
        if (spec.Dropout > 0 && convolutional && !layers.OfType<DenseLayer>().Any())
            throw new UserInputException($"--dropout drops the units of hidden dense layers; --layers {spec.Layers} has none (add one, e.g. dense128)");
        var outputName = layers.Count == 0 ? "" : $"layer{layers.Count + 1}";
        layers.Add(new DenseLayer(outputName, Inputs(shape), outputs, null, 0, layers.Count));
        return layers.ToArray();
    }

    /// <summary>The tokens of a --layers text, checked for form (the shapes are checked when built).</summary>
    public static string[] Parse(string text)
    {
        var tokens = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t => t.ToLowerInvariant()).ToArray();
        if (tokens.Length == 0) throw new UserInputException("--layers: no layers; e.g. --layers conv5x5x32,pool2,conv5x5x64,pool2,dense1024");
        foreach (var token in tokens)
            if (!Conv().IsMatch(token) && !Pool().IsMatch(token) && !Dense().IsMatch(token) && token != "flatten")
                throw Error(token, "expected convKxKxC[sN][pN], poolK, maxpoolK or avgpoolK[sN], denseN, or flatten");
        return tokens;
    }

    private static Shape InputShapeOf(ModelSpec spec)
    {
        if (spec.InputShape is not [var c, var h, var w])
            throw new UserInputException($"--input-shape: --model {spec.Kind} needs the image shape of the data's {spec.Features} features, as C,H,W (IDX folders and fashion-mnist bring theirs)");
        if ((long)c * h * w != spec.Features)
            throw new UserInputException($"--input-shape {c},{h},{w}: {(long)c * h * w} values per row, the data has {spec.Features} features");
        return new Shape(c, h, w);
    }

    private static int Inputs(Shape shape) => shape.Size <= int.MaxValue ? (int)shape.Size : throw new UserInputException($"--layers: a dense layer's input of {shape.Size:N0} values is too large");

    private static int Number(Match match, int group, int? otherwise = null)
    {
        if (!match.Groups[group].Success) return otherwise!.Value;
        if (!int.TryParse(match.Groups[group].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < (otherwise == 0 ? 0 : 1))
            throw Error(match.Value, $"'{match.Groups[group].Value}' is not a size");
        return value;
    }

    private static UserInputException Error(string token, string why) => new($"--layers: {token}: {why}");

    [GeneratedRegex(@"^conv(\d+)x(\d+)x(\d+)(?:s(\d+))?(?:p(\d+))?$")]
    private static partial Regex Conv();

    [GeneratedRegex(@"^(max|avg)?pool(\d+)(?:s(\d+))?$")]
    private static partial Regex Pool();

    [GeneratedRegex(@"^dense(\d+)$")]
    private static partial Regex Dense();
}
