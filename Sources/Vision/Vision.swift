/// Image readers and image datasets for the CNN (issue 7).
public enum Vision {}
