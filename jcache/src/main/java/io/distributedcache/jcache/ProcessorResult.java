package io.distributedcache.jcache;

import javax.cache.processor.EntryProcessorException;
import javax.cache.processor.EntryProcessorResult;

/** One key's outcome of {@code invokeAll}: the processor's result, or what it threw. Immutable. */
final class ProcessorResult<T> implements EntryProcessorResult<T> {

  private final T value;
  private final EntryProcessorException failure;

  private ProcessorResult(T value, EntryProcessorException failure) {
    this.value = value;
    this.failure = failure;
  }

  static <T> ProcessorResult<T> of(T value) {
    return new ProcessorResult<>(value, null);
  }

  static <T> ProcessorResult<T> failed(Exception e) {
    return new ProcessorResult<>(
        null,
        e instanceof EntryProcessorException epe ? epe : new EntryProcessorException(e));
  }

  @Override
  public T get() {
    if (failure != null) {
      throw failure;
    }
    return value;
  }
}
