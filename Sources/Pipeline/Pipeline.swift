import Stages
import Store
