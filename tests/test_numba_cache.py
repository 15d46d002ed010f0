"""numba's disk cache must not serve code compiled from an older version of another module."""
import os

from fastnn import _numba, drivers, kernels


def test_compiled_functions_are_stamped_with_every_kernel_module():
    for function in (kernels.weighted_sum, drivers.train_epoch):
        locator = function._cache._impl._locator
        assert type(locator).__name__.startswith("PackageWide")
        own_file_stamp, package_digest = locator.get_source_stamp()
        assert package_digest == _numba._compiled_sources_digest() == _numba._DIGEST


def test_functions_outside_fastnn_keep_numba_default_locator(tmp_path):
    for locator in _numba.caching.CacheImpl._locator_classes[:3]:
        assert locator.from_function(os.path.join, os.path.__file__) is None
