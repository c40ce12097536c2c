package org.cottention.cuda;

/** No usable CUDA device, driver or kernel module; the message says which and what to use instead. */
public final class CudaUnavailableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public CudaUnavailableException(String message) {
        super(message);
    }
}
