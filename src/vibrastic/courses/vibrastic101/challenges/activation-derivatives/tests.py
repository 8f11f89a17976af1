"""Tests of activation-derivatives: values on a grid, shapes, edge points, large inputs."""

from vibrastic.platform.course.checks import Case, approx

X = "import numpy as np\nx = np.linspace(-4.0, 4.0, 9)\n"

CASES = [
    Case("sigmoid on [-4, 4]", X + "sigmoid(x)", approx(1e-7, 1e-10),
         hint="np.exp works on a whole array."),
    Case("sigmoid_prime on [-4, 4] (0.25 at 0)", X + "sigmoid_prime(x)", approx(1e-7, 1e-10),
         hint="σ′ = σ(1 − σ); its peak is 0.25 at x = 0."),
    Case("tanh_prime on [-4, 4] (1 at 0)", X + "tanh_prime(x)", approx(1e-7, 1e-10),
         hint="tanh′ = 1 − tanh²; NumPy has tanh."),
    Case("relu_prime on [-4, 4], 0 at x = 0", X + "relu_prime(x)", approx(),
         hint="1 only where x is strictly greater than zero."),
    Case("leaky_relu_prime with the default slope", X + "leaky_relu_prime(x)", approx(),
         hint="negative_slope=0.01 where x <= 0."),
    Case("leaky_relu_prime with negative_slope=0.2", X + "leaky_relu_prime(x, negative_slope=0.2)",
         approx(), hint="Use the argument, not the constant 0.01."),
    Case("derivatives keep the shape of a 2-D input",
         "import numpy as np\nx = np.arange(-3.0, 3.0).reshape(2, 3)\n"
         "fs = (sigmoid_prime, tanh_prime, relu_prime, leaky_relu_prime)\n"
         "[list(np.shape(f(x))) for f in fs]",
         approx(), hidden=True, hint="Elementwise NumPy operations keep the shape."),
    Case("2-D values", "import numpy as np\nx = np.arange(-3.0, 3.0).reshape(2, 3) / 2\n"
         "[sigmoid_prime(x), tanh_prime(x), relu_prime(x), leaky_relu_prime(x, 0.1)]",
         approx(1e-7, 1e-10), hidden=True),
    Case("large inputs give finite values",
         "import numpy as np\nimport warnings\nwarnings.simplefilter('ignore')\n"
         "x = np.array([-50.0, -20.0, 20.0, 50.0])\n[sigmoid(x), sigmoid_prime(x), tanh_prime(x)]",
         approx(1e-6, 1e-12), hidden=True),
]
