"""Garment classifier: Fashion-MNIST data, photo preprocessing, training and LiteRT inference.

`classifier.inference` and `classifier.preprocess` serve the bot without TensorFlow;
`classifier.training` and `classifier.evaluation` import TensorFlow or Matplotlib when called.
"""
