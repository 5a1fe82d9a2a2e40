"""What the flows list and the connection's home read of the worker's gathering: database rows
only, never a call upstream."""

from deliveries.models import FlowDeliveries, Gathering


def gathered_of(connection, flow_ids=None, websites=None):
    """{flow id: FlowDeliveries} of these flows (None: every flow) of some websites (None: all)."""
    rows = FlowDeliveries.objects.filter(connection=connection)
    if flow_ids is not None:
        rows = rows.filter(flow_id__in=list(flow_ids))
    if websites is not None:
        rows = rows.filter(website_id__in=websites)
    return {row.flow_id: row for row in rows}


def last_gathering(connection):
    """The connection's last gathering, None before the first."""
    return Gathering.objects.filter(connection=connection).first()
