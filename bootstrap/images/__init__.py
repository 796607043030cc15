"""Images without a registry: one-layer archives under the upstream names, loaded into a node.

``ensure_images(parts)`` builds (once) and returns the archive directory; ``load_images`` puts
them into one node's containerd; ``image_names(version)`` lists every tag a node holds.
"""

from bootstrap.images.cache import ensure_images, load_images
from bootstrap.images.catalog import image_names

__all__ = ["ensure_images", "image_names", "load_images"]
