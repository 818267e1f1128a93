// What every operations overlay (incidents, reports) does the same way: a click on a feature opens it
// by its `id` property, the pointer shows what is clickable, and its layers and source go away with it.
import type * as maplibregl from 'maplibre-gl';

/** Listens on `layerId`; returns the function that stops listening. `skip`: leave this click to another layer. */
export function makeClickable(
  map: maplibregl.Map,
  layerId: string,
  onId: (id: string) => void,
  skip?: (ev: maplibregl.MapLayerMouseEvent) => boolean,
): () => void {
  const onClick = (ev: maplibregl.MapLayerMouseEvent) => {
    if (skip?.(ev)) return;
    const id = ev.features?.[0]?.properties?.id;
    if (typeof id === 'string') onId(id);
  };
  const pointer = () => (map.getCanvas().style.cursor = 'pointer');
  const plain = () => (map.getCanvas().style.cursor = '');
  map.on('click', layerId, onClick);
  map.on('mouseenter', layerId, pointer);
  map.on('mouseleave', layerId, plain);
  return () => {
    map.off('click', layerId, onClick);
    map.off('mouseenter', layerId, pointer);
    map.off('mouseleave', layerId, plain);
  };
}

/** Removes an overlay's layers and source, unless the map itself is already gone. */
export function removeOverlay(map: maplibregl.Map, layerIds: readonly string[], sourceId: string): void {
  if (!map.getStyle()) return;
  for (const id of layerIds) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource(sourceId)) map.removeSource(sourceId);
}
