"""Files: the model file format (save/load) and the IDX format of MNIST."""
