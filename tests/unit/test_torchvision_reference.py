"""Every torchvision classifier against the figures torchvision documents for it (weights meta, offline):
parameters exact, MACs of one image within 0.5 % at the size torchvision measured, or a reason listed in
mlalab.measure.reference.EXCEPTIONS. Counted on the meta device: shapes only, no compute, nothing downloaded."""

import pytest
import torchvision
from testlib import one_thread  # noqa: F401 - the fixture pytestmark uses

from mlalab.measure import reference

CLASSIFIERS = torchvision.models.list_models(module=torchvision.models)


pytestmark = pytest.mark.usefixtures("one_thread")   # counted on one torch thread (testlib)


def test_exceptions_name_classifiers_that_still_need_them():
    assert set(reference.EXCEPTIONS) <= set(CLASSIFIERS)
    assert all(reason.strip() for reason in reference.EXCEPTIONS.values())


@pytest.mark.sweep
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_matches_torchvision(name):
    c = reference.check(name)
    assert c["reference"] is not None, f"{name}: torchvision documents no params/_ops/crop size"
    assert c["params_equal"], f"{name}: {c['ours']['params']} params, torchvision {c['reference']['params']}"
    if name in reference.EXCEPTIONS:
        # a listed reason must still be needed: an exception that no longer applies is removed
        assert not c["within_tolerance"], f"{name} now matches: drop its entry from EXCEPTIONS"
    else:
        assert c["within_tolerance"], (f"{name}: {c['ours']['macs']:,} MACs at {c['reference']['image_size']} px, "
                                       f"torchvision {c['reference']['macs']:,} ({c['macs_rel_diff']:+.3%})")


def test_vit_b_16_counts_its_attention():
    c = reference.check("vit_b_16")
    assert round(c["ours"]["macs"] / 1e9, 2) == 17.56
    assert c["reference"]["image_size"] == 224


def test_sizes_come_from_the_weights():
    assert reference.torchvision_reference("inception_v3")["image_size"] == 299
    assert reference.torchvision_reference("vit_h_14")["image_size"] == 518
    assert reference.builder_kwargs("vit_h_14", 518) == {"image_size": 518}
    assert reference.builder_kwargs("resnet18", 224) == {}
    assert reference.torchvision_reference("not_a_model") is None
