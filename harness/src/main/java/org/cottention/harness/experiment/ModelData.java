package org.cottention.harness.experiment;

import org.cottention.harness.data.DataRoot;

/** Where the model experiments read their data: the built-in fixture for the smoke profile, else data/. */
final class ModelData {
    private ModelData() {}

    static DataRoot root(Profile profile) {
        return profile == Profile.SMOKE ? DataRoot.fixture() : DataRoot.installed(DataRoot.defaultDir());
    }
}
