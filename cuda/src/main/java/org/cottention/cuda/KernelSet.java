package org.cottention.cuda;

/** The kernels of one module in one precision, on one device: what CosineKernels and SoftmaxKernels share. */
public abstract class KernelSet {
    protected final Device device;
    protected final Precision precision;

    protected KernelSet(Device device, Precision precision) {
        this.device = device;
        this.precision = precision;
    }

    public Device device() {
        return device;
    }

    public Precision precision() {
        return precision;
    }
}
