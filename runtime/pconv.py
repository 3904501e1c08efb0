"""PConv, the pseudo-morphological convolution of arXiv 1909.01532 (the lesson's homework): in
each window the counter-harmonic mean of the inputs,

    PConv(f; w, P) = conv(f^(P+1), w) / conv(f^P, w),

a pseudo-dilation for P > 0 (toward the window's maximum as P grows), a pseudo-erosion for
P < 0 (toward the minimum), a convolution normalized by the weights' sum for P = 0.

The layer is written as plain Python on the runtime's ``depthwise_conv2d``: adcompiler derives
its gradient with respect to the inputs, the weights and P. It needs positive inputs and a
positive denominator, which the layer keeps so:
- inputs: ``f = 1 + relu(inputs)``, at least 1 (pixels in [0, 1] become [1, 2], the range
  published implementations rescale to);
- weights: ``w = softplus(kernel)``, positive whatever the trained ``kernel``;
- P: one per pair of output and input channels (``power[o, i]``), so that an output channel
  can dilate some of its inputs and erode others. Each pair's powers ``f_i^P[o, i] = exp(P
  log f_i)`` are a channel of their own: the layer is two depthwise convolutions (channel
  (o, i) with the weights of input i to output o), each summed over i, the work of two
  ordinary convolutions (a convolution with a block-diagonal kernel would do the same sums
  with ``filters`` times the products).

Initial values: ``kernel`` normal with deviation 2 and ``power`` with deviation 5, so that the
channels start as different pseudo-dilations and erosions. From P = 0 and near-equal weights
(Keras' defaults) every channel starts as the same blur and learns slowly: on 10,000 MNIST
images (Adam, learning rate 0.003) LeNet-5 with PConv reached 73% validation accuracy after
two epochs, against 85% from these values. Train it at a learning rate of about 0.01: the
powers and the kernel have several units to travel, and Adam moves a weight by about the rate
per step (docs/results.md).
"""
import numpy as np

from .activations import relu
from .depthwise import depthwise_conv2d
from .dense import bias_add
from .initializers import random_normal
from .layers import Conv2D


class PConv(Conv2D):
    """``activation(PConv(f; softplus(kernel), power) - 1 + bias)`` on NHWC images, ``f = 1 +
    relu(inputs)``, kernel HWIO, a learnable power per output and input channel (see the
    module's docstring). Taking 1 off makes the layer act on relu(inputs) itself: at P = 0 it
    is their average weighted by ``softplus(kernel)``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None,
                 kernel_initializer=random_normal(2.0), power_initializer=random_normal(5.0),
                 name=None):
        super().__init__(filters, kernel_size, strides, padding, activation, kernel_initializer,
                         name=name)
        self.power_initializer = power_initializer

    def build(self, input_shape):
        self.kernel = self.kernel_for(input_shape)
        self.power = self.add_weight("power", (self.filters, input_shape[-1]),
                                     self.power_initializer)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)

    def call(self, inputs):
        n, height, width, c = inputs.shape
        f = np.expand_dims(1.0 + relu(inputs), 3)
        # channel (o, i) of these inputs is input channel i to output channel o's power
        powers = np.exp(np.log(f) * self.power)
        powered = np.reshape(powers, (n, height, width, self.filters * c))
        powered_f = np.reshape(powers * f, (n, height, width, self.filters * c))
        # channel (o, i) convolved with the kernel of input i to output o, summed over i
        weights = np.reshape(np.transpose(np.log1p(np.exp(self.kernel)), (0, 1, 3, 2)),
                             (self.kernel_size[0], self.kernel_size[1], self.filters * c, 1))
        numerator = depthwise_conv2d(powered_f, weights, self.strides, self.padding)
        denominator = depthwise_conv2d(powered, weights, self.strides, self.padding)
        _, out_height, out_width, _ = numerator.shape
        grouped = (n, out_height, out_width, self.filters, c)
        ratio = np.sum(np.reshape(numerator, grouped), axis=4) / np.sum(
            np.reshape(denominator, grouped), axis=4)
        return self.activation(bias_add(ratio - 1.0, self.bias))
