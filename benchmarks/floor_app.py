"""The floor for bench_dashboard: the least a Streamlit page can do in the same browser and server
settings (a title, one number input, one sentence that depends on it). Whatever the dashboard takes
beyond this is ours; this much is Streamlit's and the machine's."""
import streamlit as st

st.set_page_config(page_title="floor", layout="wide")
st.title("Floor")
vcpus = st.number_input("Min vCPUs", min_value=0, step=1)
st.markdown(f"### Floor answer for {vcpus} vCPUs.")
