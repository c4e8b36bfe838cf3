"""The lab's stages (MNIST data/train/profile, Part 3, efficiency: peak, roofline, precision), each one job
body that composes mlalab.measure and returns a record for mlalab.runner to write."""
