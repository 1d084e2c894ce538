"""The Streamlit dashboard: reads the published catalog through pipeline.queries, never writes."""
