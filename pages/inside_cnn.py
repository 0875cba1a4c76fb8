import streamlit as st

st.title("Inside a CNN")
st.write("Under construction.")
