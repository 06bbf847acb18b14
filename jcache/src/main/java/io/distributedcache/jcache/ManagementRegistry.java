package io.distributedcache.jcache;

import java.lang.management.ManagementFactory;
import javax.cache.CacheException;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * Registers the JCache MXBeans of a cache in the platform MBean server under the standard names
 * {@code javax.cache:type=CacheConfiguration|CacheStatistics,CacheManager=<uri>,Cache=<name>}, with
 * the characters JMX reserves ({@code , : = \n}) replaced by dots.
 *
 * <p>Called by {@link JCacheCache} under its own lock; registering twice or unregistering
 * what is not registered is a no-op. Failures other than those become {@link CacheException}.
 */
final class ManagementRegistry {

  /** Which of the two beans. */
  enum Kind {
    CONFIGURATION("CacheConfiguration"),
    STATISTICS("CacheStatistics");

    private final String type;

    Kind(String type) {
      this.type = type;
    }
  }

  private ManagementRegistry() {}

  static void register(JCacheCache<?, ?> cache, Kind kind, Object bean) {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName name = objectName(cache, kind);
    try {
      if (!server.isRegistered(name)) {
        server.registerMBean(bean, name);
      }
    } catch (InstanceAlreadyExistsException e) {
      // Registered concurrently by an equal cache name: the bean is there, which is what we want.
    } catch (JMException e) {
      throw new CacheException("cannot register " + name, e);
    }
  }

  static void unregister(JCacheCache<?, ?> cache, Kind kind) {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName name = objectName(cache, kind);
    try {
      if (server.isRegistered(name)) {
        server.unregisterMBean(name);
      }
    } catch (InstanceNotFoundException e) {
      // Already gone.
    } catch (JMException e) {
      throw new CacheException("cannot unregister " + name, e);
    }
  }

  static ObjectName objectName(JCacheCache<?, ?> cache, Kind kind) {
    String name =
        "javax.cache:type="
            + kind.type
            + ",CacheManager="
            + sanitize(cache.getCacheManager().getURI().toString())
            + ",Cache="
            + sanitize(cache.getName());
    try {
      return new ObjectName(name);
    } catch (MalformedObjectNameException e) {
      throw new CacheException("illegal management name " + name, e);
    }
  }

  private static String sanitize(String part) {
    return part == null ? "" : part.replaceAll("[,:=\n]", ".");
  }
}
